"""AG Grid settings shared by every grid: Vietnamese interface text, one way to build a grid."""
import dash_ag_grid as dag

GRID_LOCALE = {
    "noRowsToShow": "Không có dữ liệu",
    "loadingOoo": "Đang tải...",
    "page": "Trang",
    "of": "trên",
    "to": "đến",
    "more": "thêm",
    "next": "Trang sau",
    "last": "Trang cuối",
    "first": "Trang đầu",
    "previous": "Trang trước",
    "pageSizeSelectorLabel": "Số dòng mỗi trang:",
    "filterOoo": "Lọc...",
    "equals": "Bằng",
    "notEqual": "Khác",
    "contains": "Có chứa",
    "notContains": "Không chứa",
    "startsWith": "Bắt đầu bằng",
    "endsWith": "Kết thúc bằng",
    "blank": "Trống",
    "notBlank": "Không trống",
    "lessThan": "Nhỏ hơn",
    "greaterThan": "Lớn hơn",
    "inRange": "Trong khoảng",
    "andCondition": "VÀ",
    "orCondition": "HOẶC",
    "applyFilter": "Áp dụng",
    "resetFilter": "Đặt lại",
    "clearFilter": "Xóa lọc",
    "sortAscending": "Sắp xếp tăng dần",
    "sortDescending": "Sắp xếp giảm dần",
    # Pagination buttons and page-size selector, as screen readers announce them.
    "firstPage": "Trang đầu",
    "previousPage": "Trang trước",
    "nextPage": "Trang sau",
    "lastPage": "Trang cuối",
    "pageLastRowUnknown": "?",
    "ariaPageSizeSelectorLabel": "Số dòng mỗi trang",
    # Column menu, filters and the grid's own announcements.
    "columnFilter": "Lọc cột",
    "columnMenu": "Menu cột",
    "ariaFilterInput": "Ô nhập điều kiện lọc",
    "ariaFilterValue": "Giá trị lọc",
    "ariaFilteringOperator": "Phép so sánh",
    "ariaFilterFromValue": "Lọc từ giá trị",
    "ariaFilterToValue": "Lọc đến giá trị",
    "ariaSortableColumn": "Nhấn Enter để sắp xếp",
    "ariaRowSelect": "Nhấn Space để chọn dòng này",
    "ariaRowDeselect": "Nhấn Space để bỏ chọn dòng này",
    "ariaRowToggleSelection": "Nhấn Space để chọn hoặc bỏ chọn dòng",
    "ariaRowSelectAll": "Nhấn Space để chọn tất cả các dòng",
    "ariaChecked": "đã chọn",
    "ariaUnchecked": "chưa chọn",
    "ariaIndeterminate": "chọn một phần",
    "ariaMenuColumn": "Nhấn Alt+mũi tên xuống để mở menu cột",
    "ariaLabelColumnMenu": "Menu cột",
    "ariaLabelColumnFilter": "Lọc cột",
    "ariaLabelSelectField": "Chọn giá trị",
    "ariaDateFilterInput": "Ô nhập ngày",
    "dateFormatOoo": "dd/mm/yyyy",
    "true": "Đúng",
    "false": "Sai",
    "selectAll": "(Chọn tất cả)",
    "before": "Trước",
    "after": "Sau",
    "empty": "Chọn một",
    "lessThanOrEqual": "Nhỏ hơn hoặc bằng",
    "greaterThanOrEqual": "Lớn hơn hoặc bằng",
}


def grid(grid_id: str, columns: list[dict], page_size: int = 20, **options) -> dag.AgGrid:
    """An empty grid the callbacks fill; rows carry a string `row_id` (AG Grid's row ids are text).

    Enter on a focused row acts as a click on that cell (assets/dashAgGridFunctions.js), so a keyboard
    opens what a mouse opens. Rows do not animate: a filtered-out row would otherwise linger, faded, beside
    its replacement (two rows with one id for a screen reader, and for the browser tests)."""
    return dag.AgGrid(
        id=grid_id, rowData=[], columnDefs=columns, getRowId="params.data.row_id",
        eventListeners={"cellKeyDown": ["openRowOnKey(params, setGridProps)"]},
        defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True, "autoHeaderHeight": True},
        dashGridOptions={"localeText": GRID_LOCALE, "domLayout": "autoHeight", "pagination": True,
                         "paginationPageSize": page_size, "paginationPageSizeSelector": False,
                         "animateRows": False, **options},
        style={"width": "100%"},
    )


def phone_columns(title_field: str, title_header: str, summary: dict) -> list[dict]:
    """A grid on a phone: STT, the wrapped title, and one column saying where the row stands."""
    return [
        {"field": "stt", "headerName": "STT", "width": 58},
        {"field": title_field, "headerName": title_header, "flex": 1, "minWidth": 140, "wrapText": True,
         "autoHeight": True},
        {"width": 118, "wrapText": True, "autoHeight": True, **summary},
    ]
