/* Functions the grids call by name (layouts/grid.py). Keyboard only: no data is read or sent. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

/* Enter (and Space, on grids without row selection) on a focused row does what a click on that cell
 * does: the same `cellClicked` the callbacks listen to, so the same dialog or page opens. It says it came
 * from a key (`key`): Enter on a row's tick box opens the row (Space ticks it), where a click ticks. */
dagfuncs.openRowOnKey = function (params, setGridProps) {
    var key = params.event && params.event.key;
    var selecting = !!params.api.getGridOption('rowSelection');
    if (!(key === 'Enter' || (key === ' ' && !selecting)) || !params.node || params.node.group) {
        return;
    }
    params.event.preventDefault();
    setGridProps({cellClicked: {value: params.value, colId: params.column.getColId(), rowIndex: params.rowIndex,
                                rowId: params.node.id, key: key, timestamp: Date.now()}});
};

/* The agencies' ranking on the on-time rate: the lowest first, more overdue parts first among equal
   rates, and agencies with nothing due yet (no rate) last whichever way the column is sorted
   (AG Grid inverts a comparator's answer for a descending sort, so those answers are turned back). */
dagfuncs.rankingComparator = function (valueA, valueB, nodeA, nodeB, isDescending) {
    var way = isDescending ? -1 : 1;
    var blankA = valueA === null || valueA === undefined, blankB = valueB === null || valueB === undefined;
    if (blankA || blankB) {
        return blankA === blankB ? 0 : (blankA ? 1 : -1) * way;
    }
    return valueA - valueB || (nodeB.data.overdue - nodeA.data.overdue) * way;
};
