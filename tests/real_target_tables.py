"""Target tables typed as the provinces' documents print them, and writers to .xlsx and .docx.

LAI_CHAU: a mid-year results table in the layout of a Lai Châu report (003): several target columns
(Đề án 08 / Nghị quyết 20, 2024, 2025), a results column whose header names its period without the
year and says the figures are estimates, the app's own "So sánh kế hoạch giao", lettered groups
printed across the row, breakdown lines ("- ...") and "-" for no data. The names and targets are
003's "2. Mục tiêu, chỉ tiêu cụ thể" (and its Part I for the ones that section leaves out), typed
as the 2025 targets; the results are the figures 003's Part I reports (4G coverage and the
data-centre links: "18/18", "38/38"; "1.037/1.378 DVCTT (75,25%)"; the TTHC digitisation rates
94,38 %, 91,96 %, 83,12 %; online payments 83,5 %; 42 of 56 information systems approved;
e-health books 87,9 %), "-" where it gives none. The ĐA 08 and 2024 columns differ from the 2025
one wherever the text allows, so that a test can tell which column was read. "So sánh kế hoạch
giao" is what the report prints: actual ÷ target, whole percent.

LAO_CAI: Lào Cai's Phụ lục 01 as 002 prints it — no "Đơn vị tính" column, the header repeated at
the top of each printed page — built from data/lao_cai_2026_phu_luc_01.xlsx (typed from 002),
which has every figure and a unit column 002 does not print.

A row shorter than the header is printed with its last cell merged to the end of the row: a
lettered group merged across the whole row, or "I | Hạ tầng và nền tảng số" merged after the STT.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from openpyxl import Workbook

from services.plans.demo import DATA_DIR
from services.plans.spreadsheet import read_rows

LAI_CHAU_HEADING = ["ỦY BAN NHÂN DÂN TỈNH LAI CHÂU\nSố:      /BC-UBND",
                    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"]
LAI_CHAU_TITLE = ["Phụ lục",
                  "KẾT QUẢ THỰC HIỆN MỤC TIÊU, CHỈ TIÊU CHUYỂN ĐỔI SỐ 6 THÁNG ĐẦU NĂM 2025",
                  "(Kèm theo Báo cáo số      /BC-UBND ngày      /6/2025 của UBND tỉnh Lai Châu)"]
LAI_CHAU_HEADER = ["STT", "Chỉ tiêu", "Đơn vị tính", "Mục tiêu ĐA 08/ Nghị quyết 20", "Mục tiêu 2024",
                   "Mục tiêu 2025", "Kết quả 6 tháng (ước t/h)", "So sánh kế hoạch giao", "Cơ quan chủ trì"]
LAI_CHAU_YEAR = 2025
LAI_CHAU = [
    ["a) Phát triển hạ tầng số"],
    ["1", "Tỷ lệ bản, tổ dân phố được phủ sóng mạng di động 4G", "%", "100%", "95%", "100%", "-", "",
     "Sở Khoa học và Công nghệ"],
    ["2", "Tỷ lệ sở, ban, ngành tỉnh và UBND cấp xã kết nối Mạng truyền số liệu chuyên dùng của Đảng, Nhà nước",
     "%", "100%", "90%", "100%", "100%", "100%", "Sở Khoa học và Công nghệ"],
    ["-", "Sở, ban, ngành tỉnh", "Đơn vị", "", "", "", "18/18", "", ""],
    ["-", "UBND cấp xã", "Đơn vị", "", "", "", "38/38", "", ""],
    ["3", "Tỷ lệ cơ quan nhà nước từ cấp xã trở lên có kết nối Internet cáp quang và mạng LAN", "%", "100%", "95%",
     "100%", "100%", "100%", "Sở Khoa học và Công nghệ"],
    ["4", "Tỷ lệ cán bộ, công chức, viên chức được trang bị máy tính phục vụ công tác chuyên môn", "%", "100%",
     "95%", "100%", "100%", "100%", "Sở Nội vụ"],
    ["b) Phát triển nguồn lực"],
    ["5", "Tỷ lệ chi cân đối ngân sách địa phương dành cho chuyển đổi số", "%", "01%", "0,5%", "Tối thiểu 01%", "-",
     "", "Sở Tài chính"],
    ["6", "Tỷ lệ cán bộ, công chức cấp tỉnh được bồi dưỡng kỹ năng số căn bản", "%", "100%", "80%", "100%", "100%",
     "100%", "Sở Nội vụ"],
    ["7", "Tỷ lệ cán bộ, công chức cấp xã được bồi dưỡng kỹ năng số căn bản", "%", "80%", "70%", "85%", "-", "",
     "Sở Nội vụ"],
    ["8", "Tỷ lệ cán bộ, công chức, viên chức làm chủ kỹ năng số, ứng dụng công nghệ trong quản lý, điều hành", "%",
     "80%", "70%", "85%", "-", "", "Sở Nội vụ"],
    ["9", "Tỷ lệ dân số trưởng thành tiếp cận dịch vụ số trong y tế, giáo dục, bảo hiểm, giao thông", "%", "80%",
     "60%", "80%", "-", "", "Sở Y tế"],
    ["c) Phát triển chính quyền số, kinh tế số, xã hội số"],
    ["10", "Tỷ lệ hồ sơ công việc tại cơ quan nhà nước các cấp (trừ hồ sơ mật) được xử lý trên môi trường điện tử",
     "%", "90%", "90%", "100%", "100%", "100%", "Văn phòng UBND tỉnh"],
    ["11", "Tỷ lệ TTHC đủ điều kiện được cung cấp dịch vụ công trực tuyến toàn trình", "%", "80%", "80%", "100%",
     "75,25%", "75%", "Văn phòng UBND tỉnh"],
    ["-", "DVCTT được tích hợp, cung cấp trên Cổng Dịch vụ công quốc gia", "DVCTT", "", "", "", "1.037/1.378", "",
     ""],
    ["12", "Tỷ lệ hồ sơ TTHC được số hóa đầy đủ", "%", "80%", "70%", "Tối thiểu 80%", "94,38%", "118%",
     "Văn phòng UBND tỉnh"],
    ["13", "Tỷ lệ thông tin, dữ liệu đã số hóa được khai thác, sử dụng lại", "%", "70%", "60%", "Trên 70%", "91,96%",
     "131%", "Văn phòng UBND tỉnh"],
    ["14", "Tỷ lệ hồ sơ, kết quả giải quyết thủ tục hành chính được số hóa", "%", "80%", "80%", "Có ≥ 95%", "83,12%",
     "87%", "Văn phòng UBND tỉnh"],
    ["15", "Tỷ lệ thanh toán trực tuyến trong giải quyết TTHC, dịch vụ công", "%", "50%", "45%", "≥ 70%", "83,5%",
     "119%", "Văn phòng UBND tỉnh"],
    ["16", "Tỷ lệ người dân, doanh nghiệp hài lòng khi sử dụng dịch vụ công trực tuyến", "%", "90%", "85%",
     "Trên 90%", "-", "", "Văn phòng UBND tỉnh"],
    ["17", "Tỷ lệ cơ quan nhà nước cấp tỉnh, cấp xã kết nối, khai thác nền tảng tích hợp, chia sẻ dữ liệu (LGSP) "
           "của tỉnh", "%", "100%", "90%", "100%", "-", "", "Sở Khoa học và Công nghệ"],
    ["18", "Tỷ lệ hệ thống thông tin được phê duyệt cấp độ an toàn thông tin", "%", "100%", "100%", "100%", "75%",
     "75%", "Công an tỉnh"],
    ["-", "Hệ thống thông tin đã được phê duyệt cấp độ", "Hệ thống", "", "", "", "42/56", "", ""],
    ["19", "Tỷ lệ thủ tục hành chính được tiếp nhận, giải quyết phi địa giới hành chính", "%", "70%", "50%", "≥ 70%",
     "-", "", "Văn phòng UBND tỉnh"],
    ["20", "Tỷ lệ hệ thống thông tin của tỉnh vận hành trên nền tảng điện toán đám mây", "%", "70%", "50%", "≥ 70%",
     "-", "", "Sở Khoa học và Công nghệ"],
    ["21", "Tỷ lệ doanh nghiệp nhỏ và vừa tại địa phương ứng dụng công nghệ số", "%", "30%", "20%", "≥ 30%", "-", "",
     "Sở Công Thương"],
    ["22", "Tỷ lệ người dân có Sổ sức khỏe điện tử", "%", "80%", "60%", "80%", "87,9%", "110%", "Sở Y tế"],
    ["23", "Tỷ lệ người dân có tài khoản định danh điện tử (VNeID)", "%", "80%", "50%", "65%", "-", "",
     "Công an tỉnh"],
    ["24", "Tỷ trọng kinh tế số trong GRDP", "%", "20%", "7%", "9%", "-", "", "Sở Tài chính"],
]
# The table's columns, by position, for the tests.
NAME, DA08, TARGET_2024, TARGET_2025, RESULT, COMPARED, LEAD = 1, 3, 4, 5, 6, 7, 8
LAI_CHAU_TARGETS = [row for row in LAI_CHAU if len(row) > 1 and row[0].isdigit()]
LAI_CHAU_BREAKDOWN = [row for row in LAI_CHAU if row[0] == "-"]
LAI_CHAU_WITH_RESULT = [row for row in LAI_CHAU_TARGETS if row[RESULT] != "-"]

LAO_CAI_TITLE = ["PHỤ LỤC 01:", "MỤC TIÊU CỤ THỂ VỀ CHUYỂN ĐỔI NĂM 2026",
                 "(Kèm theo Kế hoạch số:          /KH-UBND ngày 31/12/2025 của UBND tỉnh Lào Cai)"]
LAO_CAI_XLSX = DATA_DIR / "lao_cai_2026_phu_luc_01.xlsx"
# The rows after which 002 starts a new page, whose top repeats the header (by STT and name's start).
_LAO_CAI_PAGE_BREAKS = (("2", "Tỷ lệ cán bộ, công chức"), ("4", "Tỷ lệ giao dịch hành chính"), ("V", "Kinh tế số"))


def lao_cai_as_printed() -> tuple[list[str], list[list[str]]]:
    """(header, rows) of Phụ lục 01 as 002 prints it, from the demo's workbook."""
    rows = [cells for _, cells in read_rows(LAO_CAI_XLSX)]
    start = next(i for i, cells in enumerate(rows) if cells[0] == "STT")
    unit = rows[start].index("Đơn vị tính")
    header, *body = [cells[:unit] + cells[unit + 1:] for cells in rows[start:]]
    printed = []
    for cells in body:
        is_section = not any(cells[2:])
        printed.append(cells[:2] if is_section else cells)
        if any(cells[0] == stt and cells[1].startswith(name) for stt, name in _LAO_CAI_PAGE_BREAKS):
            printed.append(header)
    return header, printed


def write_xlsx(path: Path, header: list[str], rows: list[list[str]], title: list[str] = ()) -> Path:
    """The table on the first sheet under its title lines; short rows merged to the row's end."""
    workbook = Workbook()
    sheet = workbook.active
    for line in title:
        sheet.append([line])
    if title:
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        if len(row) < len(header):
            sheet.merge_cells(start_row=sheet.max_row, start_column=len(row), end_row=sheet.max_row,
                              end_column=len(header))
    workbook.save(path)
    return path


def write_docx(path: Path, header: list[str], rows: list[list[str]], title: list[str] = (),
               heading: list[str] = ()) -> Path:
    """A Word document: the heading block (a table of its own, as Vietnamese documents print it),
    the title paragraphs, then the table; short rows merged horizontally to the row's end."""
    document = Document()
    if heading:
        block = document.add_table(rows=1, cols=len(heading))
        for cell, text in zip(block.rows[0].cells, heading):
            cell.text = text
    for line in title:
        document.add_paragraph(line)
    table = document.add_table(rows=0, cols=len(header))
    table.style = "Table Grid"
    for row in [header, *rows]:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
        if len(row) < len(header):
            cells[len(row) - 1].merge(cells[-1]).text = row[-1]
    document.save(path)
    return path
