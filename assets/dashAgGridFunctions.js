/* Grid functions named from column definitions ({"function": "name"}). Numbers only, never HTML. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

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
