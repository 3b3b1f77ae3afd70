/* Grid cell renderers. They draw numbers only and set text as text nodes: never HTML from data. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

/* A target's trend: the share of the plan reached at each period (%), with the 100 % line dashed. */
dagcomponentfuncs.Sparkline = function (props) {
    var values = (Array.isArray(props.value) ? props.value : []).map(Number).filter(isFinite);
    var e = React.createElement;
    if (values.length === 0) {
        return e('span', {className: 'text-muted small'}, '—');
    }
    var width = 96, height = 26, pad = 3;
    var top = Math.max(100, Math.max.apply(null, values)), bottom = Math.min(0, Math.min.apply(null, values));
    var y = function (v) { return height - pad - (v - bottom) / (top - bottom || 1) * (height - 2 * pad); };
    var x = function (i) { return values.length === 1 ? width / 2 : pad + i * (width - 2 * pad) / (values.length - 1); };
    var points = values.map(function (v, i) { return x(i).toFixed(1) + ',' + y(v).toFixed(1); }).join(' ');
    var last = values[values.length - 1];
    var title = props.data && typeof props.data.spark_title === 'string' ? props.data.spark_title : '';
    return e('svg', {width: width, height: height, role: 'img', className: 'cds-sparkline',
                     'aria-label': title},
        e('title', null, title),
        e('line', {x1: 0, x2: width, y1: y(100), y2: y(100), stroke: '#198754', strokeDasharray: '3,2',
                   strokeWidth: 1}),
        e('polyline', {points: points, fill: 'none', stroke: '#0d6efd', strokeWidth: 1.5}),
        e('circle', {cx: x(values.length - 1), cy: y(last), r: 2.5, fill: last >= 100 ? '#198754' : '#dc3545'}));
};
