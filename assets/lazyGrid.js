/* The grid library (dash-ag-grid, 285 KB compressed, and its 205 KB chunk) only on pages that show a
 * grid. app.py takes its script out of every page and names it in <meta name="cds-grid-bundle">; until
 * the first grid renders, `dash_ag_grid.AgGrid` is this stand-in, which loads the library and then
 * renders the real grid with the same props. Once loaded, the library replaces the stand-in for every
 * later grid. No data is read or sent here. */
(function () {
    'use strict';
    var meta = document.querySelector('meta[name="cds-grid-bundle"]');
    if (!meta || window.dash_ag_grid) { return; }
    var React = window.React;
    var loading = null;

    function load() {
        if (!loading) {
            loading = new Promise(function (resolve, reject) {
                var script = document.createElement('script');
                script.src = meta.content;
                script.onload = function () { resolve(window.dash_ag_grid.AgGrid); };
                script.onerror = reject;
                document.head.appendChild(script);
            });
        }
        return loading;
    }

    function AgGrid(props) {
        var state = React.useState(null), Grid = state[0], setGrid = state[1];
        var failure = React.useState(false), failed = failure[0], setFailed = failure[1];
        React.useEffect(function () {
            load().then(function (component) { setGrid(function () { return component; }); },
                        function () { setFailed(true); });
        }, []);
        if (Grid) { return React.createElement(Grid, props); }
        return React.createElement('div', {id: props.id, className: 'small text-muted py-2', role: 'status'},
                                   failed ? 'Không tải được bảng, vui lòng tải lại trang.' : 'Đang tải bảng…');
    }

    window.dash_ag_grid = {AgGrid: AgGrid};
})();
