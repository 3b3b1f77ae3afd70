/* Functions the grids call by name (layouts/grid.py). Keyboard only: no data is read or sent. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

/* Enter (and Space, on grids without row selection) on a focused row does what a click on that cell
 * does: the same `cellClicked` the callbacks listen to, so the same dialog or page opens. */
dagfuncs.openRowOnKey = function (params, setGridProps) {
    var key = params.event && params.event.key;
    var selecting = !!params.api.getGridOption('rowSelection');
    if (!(key === 'Enter' || (key === ' ' && !selecting)) || !params.node || params.node.group) {
        return;
    }
    params.event.preventDefault();
    setGridProps({cellClicked: {value: params.value, colId: params.column.getColId(), rowIndex: params.rowIndex,
                                rowId: params.node.id, timestamp: Date.now()}});
};
