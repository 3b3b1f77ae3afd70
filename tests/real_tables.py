"""Task tables typed as their documents print them, and writers that save them as an .xlsx (merged
ranges) or a .docx (merged cells), so that the import is checked on tables as people have them.

A table is a list of printed rows; a merged range's text sits in its first cell and the cells it
covers are "". A merge is (first row, first column, last row, last column), 0-based, inclusive.
"""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy.orm import Session

from models import Agency
from services.common.text import clean_cell
from services.plans.demo import DATA_DIR, load_agencies
from services.plans.importer import PlanSpec, is_roman
from services.plans.spreadsheet import Table, TableRow, read_rows

Merge = tuple[int, int, int, int]


def _covered(merges) -> set[tuple[int, int]]:
    """The cells a merge covers, its first cell excepted."""
    return {(r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} \
        - {(r0, c0) for r0, c0, _, _ in merges}


def fill_sheet(sheet, table: list[list[str]], merges=()) -> None:
    """The table into an openpyxl sheet, each merge an Excel merged range (its text in the first cell)."""
    covered = _covered(merges)
    for r, row in enumerate(table):
        for c, text in enumerate(row):
            if text and (r, c) not in covered:
                sheet.cell(r + 1, c + 1, text)
    for r0, c0, r1, c1 in merges:
        sheet.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)


def fill_table(document, table: list[list[str]], merges=()):
    """The table into a python-docx document, each merge a Word merge (vMerge / gridSpan)."""
    grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
    covered = _covered(merges)
    for r, row in enumerate(table):
        for c, text in enumerate(row):
            if text and (r, c) not in covered:
                grid.cell(r, c).text = text
    for r0, c0, r1, c1 in merges:
        grid.cell(r0, c0).merge(grid.cell(r1, c1)).text = table[r0][c0]
    return grid


def write_xlsx(path: Path, table: list[list[str]], merges: list[Merge]) -> Path:
    workbook = Workbook()
    fill_sheet(workbook.active, table, merges)
    workbook.save(path)
    return path


def write_docx(path: Path, table: list[list[str]], merges: list[Merge]) -> Path:
    from docx import Document

    document = Document()
    document.add_paragraph("UBND TỈNH")
    fill_table(document, table, merges)
    document.save(path)
    return path


# ---- (a) Lào Cai 2026, Phụ lục 02 (seed 002), from the demo's workbook ----------------------------

def phu_luc_02() -> tuple[list[list[str]], list[Merge]]:
    """The demo appendix as Word prints it: the title and "(Kèm theo ...)" rows above the header,
    merged across the table; each section row's name merged across the task columns; the header
    repeated where a page breaks (before section IV)."""
    rows = [cells for _, cells in read_rows(DATA_DIR / "lao_cai_2026_phu_luc_02.xlsx")]
    width = len(rows[2])
    table: list[list[str]] = []
    merges: list[Merge] = []
    for cells in rows:
        cells = cells + [""] * (width - len(cells))
        if len(table) < 2:  # "PHỤ LỤC 02: ..." and "(Kèm theo Kế hoạch số: ...)"
            merges.append((len(table), 0, len(table), width - 1))
        elif is_roman(cells[0]):
            if cells[0] == "IV":
                table.append(list(rows[2]))
            merges.append((len(table), 1, len(table), width - 1))
        table.append(cells)
    return table, merges


# ---- (b) Lai Châu (seed 003): the task list with its results ---------------------------------------
# The columns of Lai Châu's lists of tasks and results; "Ghi chú" is a column the import does not take.
# Contents from 003 (its 2025 results and 2026 tasks), agencies as Lai Châu prints them.
LAI_CHAU_HEADER = ["STT", "Tên sản phẩm", "Mục tiêu", "Cơ quan chủ\ntrì", "Thời gian thực\nhiện", "Tình trạng",
                   "Lý do chưa hoàn thành hoặc triển khai chậm", "Ghi chú"]
LAI_CHAU = [
    ["PHỤ LỤC I", "", "", "", "", "", "", ""],
    ["DANH MỤC NHIỆM VỤ CHUYỂN ĐỔI SỐ NĂM 2025", "", "", "", "", "", "", ""],
    ["(Kèm theo Kế hoạch số       /KH-UBND ngày      /12/2025 của UBND tỉnh Lai Châu)", "", "", "", "", "", "", ""],
    LAI_CHAU_HEADER,
    ["I", "HẠ TẦNG SỐ", "", "", "", "", "", ""],
    ["1", "Kết nối Mạng truyền số liệu chuyên dùng của Đảng, Nhà nước đến các sở, ban, ngành tỉnh và UBND các "
          "xã, phường", "100% sở, ban, ngành tỉnh (18/18 đơn vị) và 100% UBND cấp xã (38/38 đơn vị) được kết nối",
     "Sở Khoa học và Công nghệ", "2023 - 2024", "Đã hoàn thành", "", ""],
    # Task 2: STT and name merged over its three parts; the first row carries the first part.
    ["2", "Triển khai hạ tầng mạng 5G và ứng dụng Internet vạn vật (IoT) trên địa bàn tỉnh",
     "Phủ sóng 4G cho 100% bản, tổ dân phố", "Sở Khoa học và Công nghệ", "Năm 2025", "Đang thực hiện",
     "Còn 21 thôn, bản chưa có sóng điện thoại di động băng rộng", "Kế hoạch số 4772/KH-UBND ngày 19/08/2025"],
    ["", "", "Trạm BTS 5G tại trung tâm tỉnh và trung tâm các xã, phường", "UBND các xã, phường", "2025 - 2026",
     "Đang nghiên cứu thực hiện", "", ""],
    ["", "", "Ứng dụng IoT trong giám sát an ninh, trật tự tại khu kinh tế cửa khẩu Ma Lù Thàng", "Công an tỉnh",
     "Quý IV/2025", "Chưa thực hiện", "Chưa bố trí được kinh phí", ""],
    ["3", "Nâng cấp hạ tầng kỹ thuật công nghệ thông tin tại Bộ phận tiếp nhận và trả kết quả cấp xã",
     "Đáp ứng triển khai dịch vụ công trực tuyến toàn trình, số hóa", "UBND các xã, phường", "Năm 2025",
     "Đang thực hiện", "Thiếu kinh phí đầu tư trang thiết bị", ""],
    ["", "", "hồ sơ, kết quả giải quyết TTHC", "", "", "", "", ""],  # the cell above, wrapped onto this row
    ["II. CHÍNH QUYỀN SỐ VÀ DỮ LIỆU SỐ", "", "", "", "", "", "", ""],
    ["4", "Kiện toàn Ban Chỉ đạo về phát triển khoa học, công nghệ, đổi mới sáng tạo, chuyển đổi số và Đề án 06 "
          "của tỉnh", "Quyết định số 933/QĐ-UBND ngày 05/6/2025 của UBND tỉnh", "Sở Khoa học và Công nghệ",
     "Quý II/2025", "Đã hoàn thành", "", ""],
    ["5", "Vận hành Nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh (LGSP), kết nối Nền tảng tích hợp, chia sẻ dữ liệu "
          "quốc gia (NDXP)", "14 kết nối đã hoàn thành, 18 kết nối đang thực hiện", "Sở Khoa học và Công nghệ",
     "Đã thực hiện 2022", "Đang thực hiện", "", ""],
    ["6", "Công bố danh mục thủ tục hành chính không phụ thuộc vào địa giới hành chính",
     "12 Quyết định phê duyệt 1.719 thủ tục hành chính", "Văn phòng UBND tỉnh", "Quý III/2025", "Đã hoàn thành",
     "", ""],
    # Task 7: a heading row without a lead, its parts below with an empty STT and names of their own;
    # one deadline merged over the three parts.
    ["7", "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính", "", "", "", "", "", ""],
    ["", "Số hóa thành phần hồ sơ thủ tục hành chính", "Tỷ lệ số hóa thành phần hồ sơ đạt 92,30%",
     "Văn phòng UBND tỉnh", "Năm 2025", "Đã hoàn thành (thí điểm tại Trung tâm Phục vụ hành chính công tỉnh)",
     "", ""],
    ["", "Số hóa kết quả giải quyết thủ tục hành chính", "Tỷ lệ số hóa kết quả giải quyết đạt 92,50%",
     "Các sở, ngành", "", "Đang thực hiện", "Một số đơn vị chưa bố trí nhân lực số hóa", ""],
    ["", "Khai thác, sử dụng lại dữ liệu đã số hóa", "87.932 hồ sơ được tái sử dụng dữ liệu", "UBND các xã, phường",
     "", "Đang thực hiện", "", ""],
    ["8", "Triển khai các biện pháp bảo đảm an ninh mạng, phòng, chống tội phạm sử dụng công nghệ cao",
     "Các hệ thống thông tin trọng yếu được giám sát, bảo vệ", "Công an tỉnh", "Thường xuyên", "Đang thực hiện",
     "", ""],
    ["9", "Rà soát, phê duyệt cấp độ an toàn thông tin cho các hệ thống thông tin",
     "56 hệ thống được rà soát, phân loại; 14 hệ thống đang hoàn thiện hồ sơ phê duyệt cấp độ",
     "Sở Khoa học và Công nghệ", "2023 - 2024", "Đang thực hiện", "Các đơn vị chậm hoàn thiện hồ sơ đề xuất cấp độ",
     ""],
    LAI_CHAU_HEADER,  # a new printed page repeats the header
    ["III", "KINH TẾ SỐ VÀ XÃ HỘI SỐ", "", "", "", "", "", ""],
    ["10", "Triển khai Kế hoạch phát triển thương mại điện tử năm 2025",
     "Hỗ trợ doanh nghiệp, hợp tác xã đưa sản phẩm OCOP lên sàn thương mại điện tử (371 sản phẩm, 205 sản phẩm "
     "OCOP)", "Sở Công Thương", "Năm 2025", "Đã hoàn thành", "", ""],
    ["11", "Nâng cấp Hệ thống Du lịch thông minh (dulich.laichau.gov.vn)",
     "Ứng dụng công nghệ 3D/360 quảng bá điểm du lịch", "Sở Văn hóa, Thể thao và Du lịch", "2023 - 2024",
     "Đã hoàn thành (ứng dụng 3D/360 chuyển sang năm 2026)", "", ""],
    ["12", "Triển khai phong trào “Bình dân học vụ số” trên địa bàn tỉnh", "Phổ cập kỹ năng số cho người dân",
     "Các sở, ngành; UBND các xã, phường", "Năm 2025", "Đang thực hiện", "", ""],
    ["13", "Xây dựng fanpage, kênh Zalo và video truyền thông về chuyển đổi số trong lĩnh vực y tế",
     "Trang fanpage, kênh Zalo, video truyền thông", "Sở Y tế", "Năm 2025", "Chưa thực hiện",
     "Chưa có kinh phí để thực hiện truyền thông về chuyển đổi số", ""],
    ["14", "Tăng thời lượng tuyên truyền về chuyển đổi số trên báo, phát thanh, truyền hình",
     "Chuyên trang, chuyên mục chuyển đổi số", "Báo và Phát thanh, Truyền hình Lai Châu", "Thường xuyên",
     "Đang thực hiện", "", ""],
]
LAI_CHAU_MERGES: list[Merge] = [
    (0, 0, 0, 7), (1, 0, 1, 7), (2, 0, 2, 7),  # title rows
    (4, 1, 4, 7), (11, 0, 11, 7), (22, 1, 22, 7),  # section rows: "I | name", "II. NAME" alone, "III | name"
    (6, 0, 8, 0), (6, 1, 8, 1),  # task 2's STT and name over its three parts
    (16, 4, 18, 4),  # task 7's deadline over its three parts
]
LAI_CHAU_SPEC = PlanSpec(province="Lai Châu", year=2025, title="Danh mục nhiệm vụ chuyển đổi số năm 2025",
                         reporting_cadence="quarterly", report_deadline_day=5)

# Counted by hand from the rows above:
# sections: I, II, III = 3.
# top-level tasks: 1-14 = 14, of which headings 2 and 7; parts: 2a, 2b, 2c, 7a, 7b, 7c = 6; sub-items: 0.
# assignments (one per agency; "Các sở, ngành" = 18 members, "UBND các xã, phường" = 6):
#   1: 1; 2a: 1; 2b: 6; 2c: 1; 3: 6; 4: 1; 5: 1; 6: 1; 7a: 1; 7b: 18; 7c: 6; 8: 1; 9: 1; 10: 1; 11: 1;
#   12: 18 + 6; 13: 1; 14: 1  → 73, of which from groups 6 + 6 + 18 + 6 + 24 = 60.
# statuses of the top-level tasks (a heading's rolled up from its parts): done 1, 4, 6, 10, 11 = 5;
#   not started 13 = 1; in progress 2, 3, 5, 7, 8, 9, 12, 14 = 8.
LAI_CHAU_COUNTS = {"sections": 3, "tasks": 14, "headings": 2, "parts": 6, "sub_items": 0, "assignments": 73,
                   "assignments_from_groups": 60}
LAI_CHAU_STATUS = {"done": 5, "in_progress": 8, "not_started": 1}

# The units of 003's footnote 2 (the 20 that set up a steering committee); "Các sở, ngành" are the
# 18 provincial departments and agencies of its "18/18 đơn vị". Communes: six of the 38.
_LAI_CHAU_UNITS = [
    ("Sở Khoa học và Công nghệ", "department", "Sở KH&CN | Sở KHCN"),
    ("Ban Quản lý Khu kinh tế tỉnh", "department", ""),
    ("Sở Công Thương", "department", ""),
    ("Thanh tra tỉnh", "department", ""),
    ("Sở Giáo dục và Đào tạo", "department", "Sở GD&ĐT"),
    ("Sở Nội vụ", "department", ""),
    ("Sở Nông nghiệp và Môi trường", "department", ""),
    ("Sở Ngoại vụ", "department", ""),
    ("Sở Văn hóa, Thể thao và Du lịch", "department", "Sở VHTT&DL"),
    ("Sở Xây dựng", "department", ""),
    ("Sở Y tế", "department", ""),
    ("Bộ Chỉ huy Quân sự tỉnh", "provincial", ""),
    ("Sở Dân tộc và Tôn giáo", "department", ""),
    ("Sở Tài chính", "department", ""),
    ("Sở Tư pháp", "department", ""),
    ("Văn phòng UBND tỉnh", "provincial", "VPUBND tỉnh | Văn phòng Ủy ban nhân dân tỉnh"),
    ("Công an tỉnh", "provincial", ""),
    ("Trường Chính trị tỉnh", "provincial", ""),
]
_LAI_CHAU_OTHERS = [
    ("Báo và Phát thanh, Truyền hình Lai Châu", "provincial", ""),
    ("Bảo hiểm xã hội tỉnh Lai Châu", "provincial", "BHXH tỉnh"),
]
_LAI_CHAU_COMMUNES = ["UBND phường Tân Phong", "UBND phường Đoàn Kết", "UBND xã Tà Tổng", "UBND xã Mù Cả",
                      "UBND xã Sìn Hồ", "UBND xã Than Uyên"]


def load_lai_chau_agencies(session: Session) -> list[Agency]:
    """The province of Lai Châu with the agencies and groups the table names, loaded the way the
    demo loads Lào Cai's (services.plans.demo.load_agencies)."""
    rows = [["Mã", "Tên cơ quan", "Loại", "Tên gọi khác", "Thuộc nhóm"]]
    rows += [["", name, kind, aliases, "Các sở, ngành"] for name, kind, aliases in _LAI_CHAU_UNITS]
    rows += [["", name, kind, aliases, ""] for name, kind, aliases in _LAI_CHAU_OTHERS]
    rows += [["", name, "commune", "", "UBND các xã, phường"] for name in _LAI_CHAU_COMMUNES]
    rows += [["", "Các sở, ngành", "group", "Các sở, ban, ngành | Sở, ngành", ""],
             ["", "UBND các xã, phường", "group", "UBND cấp xã | Các xã, phường", ""]]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lai_chau_agencies.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            csv.writer(stream).writerows(rows)
        return load_agencies(session, LAI_CHAU_SPEC.province, path)


def as_read(table: list[list[str]], merges: list[Merge], *, repeat_across: bool = False) -> Table:
    """The table as a reader of the file gives it (services.plans.spreadsheet.TableRow): a vertical
    merge's text carried into the rows it covers, which mark that column continued; a horizontal
    merge's text in its first cell only, or in every cell it spans (`repeat_across`, as Word's
    cells list a merged cell once per column)."""
    rows = [list(row) for row in table]
    continued: dict[int, set[int]] = {}
    for r0, c0, r1, c1 in merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if r > r0:
                    rows[r][c] = table[r0][c0]
                    continued.setdefault(r, set()).add(c)
                elif c > c0 and repeat_across:
                    rows[r][c] = table[r0][c0]
    return Table("Bảng 1", [TableRow(r + 1, [clean_cell(c) for c in cells], frozenset(continued.get(r, ())))
                            for r, cells in enumerate(rows) if any(cells)])
