"""Lào Cai's DTI ranking of 2023 (seed 004, the decision's Phụ lục, section 2) typed as printed,
every row, and writers that save it as the secretariat would have it: a Word document with each
group's heading above its table, or an Excel sheet with the groups one under the other.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from tests.real_tables import fill_sheet, fill_table

HEADER = ["TT\nxếp\nhạng\nDTI", "Tên cơ quan", "Tổng\nđiểm", "Tỷ lệ\nso với\nđiểm\ntối đa", "Mức độ\nxếp hạng"]
DISTRICT_HEADER = [HEADER[0], "Địa phương", *HEADER[2:]]

# (heading, header, rows as printed: TT, name, score, percentage, level; the "Điểm trung bình" figure)
GROUPS = [
    ("2.1. Nhóm các cơ quan, đơn vị có thủ tục hành chính", HEADER, [
        ("1", "Sở Lao động - Thương binh và Xã hội", "731,61", "73,16%", "Nâng cao"),
        ("2", "Sở Y tế", "717,70", "71,77%", "Nâng cao"),
        ("3", "Sở Thông tin và Truyền thông", "708,42", "70,84%", "Nâng cao"),
        ("4", "Sở Giáo dục và Đào tạo", "687,53", "68,75%", "Nâng cao"),
        ("5", "Sở Tài chính", "686,07", "68,60%", "Nâng cao"),
        ("6", "Sở Nội vụ", "683,11", "68,31%", "Nâng cao"),
        ("7", "Sở Kế hoạch và Đầu tư", "671,98", "67,19%", "Nâng cao"),
        ("8", "Sở Nông nghiệp và Phát triển nông thôn", "646,73", "64,67%", "Nâng cao"),
        ("9", "Ban Quản lý Khu kinh tế tỉnh", "632,79", "63,27%", "Nâng cao"),
        ("10", "Sở Công Thương", "632,68", "63,26%", "Nâng cao"),
        ("11", "Sở Tư pháp", "619,38", "61,93%", "Nâng cao"),
        ("12", "Sở Khoa học và Công nghệ", "589,70", "58,97%", "Nâng cao"),
        ("13", "Ban Dân tộc", "574,51", "57,45%", "Nâng cao"),
        ("14", "Sở Ngoại vụ", "557,32", "55,73%", "Nâng cao"),
        ("15", "Sở Du lịch", "553,78", "55,37%", "Nâng cao"),
        ("16", "Sở Văn hóa và Thể thao", "550,15", "55,01%", "Nâng cao"),
        ("17", "Sở Giao thông vận tải - Xây dựng", "515,41", "51,54%", "Nâng cao"),
        ("18", "Sở Tài nguyên và Môi trường", "411,87", "41,18%", "Hình thành"),
    ], "620,60"),
    ("2.2. Nhóm các cơ quan, đơn vị không có thủ tục hành chính", HEADER, [
        ("1", "Văn phòng Tỉnh uỷ", "494,41", "61,80%", "Nâng cao"),
        ("2", "Đài Phát thanh - Truyền hình tỉnh", "492,79", "61,59%", "Nâng cao"),
        ("3", "Ban Tổ chức Tỉnh uỷ", "478,49", "59,81%", "Nâng cao"),
        ("4", "Ban Tuyên giáo Tỉnh uỷ", "473,65", "59,20%", "Nâng cao"),
        ("5", "Tỉnh đoàn", "462,24", "57,78%", "Nâng cao"),
        ("6", "Văn phòng UBND tỉnh", "456,82", "57,10%", "Nâng cao"),
        ("7", "Trường Chính trị", "446,01", "55,75%", "Nâng cao"),
        ("8", "Văn phòng Đoàn ĐBQH và HĐND tỉnh", "426,59", "53,32%", "Nâng cao"),
        ("9", "Hội Cựu chiến binh tỉnh", "423,74", "52,96%", "Nâng cao"),
        ("10", "Uỷ ban Kiểm tra Tỉnh uỷ", "396,39", "49,54%", "Hình thành"),
        ("11", "Thanh tra tỉnh", "387,93", "48,49%", "Hình thành"),
        ("12", "Hội nông dân tỉnh", "384,82", "48,10%", "Hình thành"),
        ("13", "Mặt trận Tổ quốc Việt Nam tỉnh", "384,23", "48,02%", "Hình thành"),
        ("14", "Đảng uỷ Khối Cơ quan - Doanh nghiệp", "382,69", "47,83%", "Hình thành"),
        ("15", "Hội Liên hiệp Phụ nữ tỉnh", "350,36", "43,79%", "Hình thành"),
        ("16", "Trường Cao đẳng Lào Cai", "341,37", "42,67%", "Hình thành"),
        ("17", "Báo Lào Cai", "321,13", "40,14%", "Hình thành"),
        ("18", "Liên đoàn Lao động tỉnh", "308,07", "38,50%", "Hình thành"),
        ("19", "Ban Nội chính Tỉnh ủy", "272,22", "34,02%", "Hình thành"),
        ("20", "Ban Dân vận Tỉnh ủy", "251,76", "31,47%", "Hình thành"),
        ("21", "Vườn Quốc gia Hoàng Liên", "233,50", "29,18%", "Hình thành"),
    ], "389,01"),
    ("2.3. Nhóm các huyện, thị xã, thành phố", DISTRICT_HEADER, [
        ("1", "Thành phố Lào Cai", "760,39", "76,03%", "Dẫn dắt"),
        ("2", "Huyện Bắc Hà", "722,52", "72,25%", "Nâng cao"),
        ("3", "Huyện Văn Bàn", "722,21", "72,22%", "Nâng cao"),
        ("4", "Huyện Bảo Thắng", "701,73", "70,17%", "Nâng cao"),
        ("5", "Huyện Si Ma Cai", "619,01", "61,90%", "Nâng cao"),
        ("6", "Huyện Bảo Yên", "582,16", "58,21%", "Nâng cao"),
        ("7", "Huyện Bát Xát", "578,03", "57,80%", "Nâng cao"),
        ("8", "Huyện Mường Khương", "574,90", "57,49%", "Nâng cao"),
        ("9", "Thị xã Sa Pa", "546,45", "54,64%", "Nâng cao"),
    ], "645,27"),
]
# Counted by hand from 004: 18 + 21 + 9 = 48 agencies; Dẫn dắt 1 (Thành phố Lào Cai), Nâng cao 17 + 9 + 8 = 34,
# Hình thành 1 + 12 = 13, Khởi động 0. Maxima: 1 000, 800 (494,41 at 61,80 %), 1 000.
ROWS = 48
LEVELS = {"Dẫn dắt": 1, "Nâng cao": 34, "Hình thành": 13, "Khởi động": 0}
MAXIMA = ["1.000", "800", "1.000"]
TITLES = [heading.split(" ", 1)[1] for heading, *_ in GROUPS]


def group_table(header: list[str], rows, printed_average: str) -> list[list[str]]:
    """One group's table as printed: the header, a row per agency, "Điểm trung bình" (its label in the name
    column, the figure under "Tổng điểm")."""
    return [list(header), *[list(row) for row in rows], ["", "Điểm trung bình", printed_average, "", ""]]


# The appendix's text above the tables, as pasted into a sheet with them: its own numbered lines are not groups.
PREAMBLE = [
    "KẾT QUẢ XẾP HẠNG MỨC ĐỘ CHUYỂN ĐỔI SỐ CÁC CƠ QUAN ĐẢNG, NHÀ NƯỚC, MẶT TRẬN TỔ QUỐC VIỆT NAM, CÁC TỔ CHỨC "
    "CHÍNH TRỊ - XÃ HỘI CẤP TỈNH VÀ CÁC HUYỆN, THỊ XÃ, THÀNH PHỐ NĂM 2023",
    "(Kèm theo Quyết định số /QĐ-UBND ngày /4/2024 của Chủ tịch UBND tỉnh Lào Cai)",
    "1. Thang điểm và xếp hạng mức độ ứng dụng CNTT",
    "1.1. Thang điểm",
    "- Thang điểm tối đa cho các cơ quan, đơn vị có thủ tục hành chính (TTHC) và UBND các huyện, thị xã, thành "
    "phố: 1.000 điểm;",
    "- Thang điểm tối đa cho các cơ quan, đơn vị đặc thù hoặc không có TTHC: 800 điểm.",
    "1.2. Xếp hạng mức độ ứng dụng CNTT",
    "- Mức dẫn dắt: Điểm đánh giá lớn hơn 75% tổng điểm;",
    "2. Kết quả đánh giá, xếp hạng mức độ chuyển đổi số năm 2023",
]


def one_sheet() -> list[list[str]]:
    """The whole appendix on one sheet: its text, then each group's heading, header, rows and average."""
    table = [[line, "", "", "", ""] for line in PREAMBLE]
    for heading, header, rows, printed_average in GROUPS:
        table.append([heading, "", "", "", ""])
        table += group_table(header, rows, printed_average)
    return table


def title_merges(table: list[list[str]]) -> list[tuple[int, int, int, int]]:
    """Title and heading rows merged across the five columns, as Excel users lay them out."""
    return [(r, 0, r, 4) for r, row in enumerate(table) if row[0] and not any(row[1:])]


def write_xlsx(path: Path, table: list[list[str]] | None = None) -> Path:
    table = table if table is not None else one_sheet()
    workbook = Workbook()
    fill_sheet(workbook.active, table, title_merges(table))
    workbook.save(path)
    return path


def write_docx(path: Path, groups=GROUPS) -> Path:
    """The decision's appendix in Word: its title, then each group's heading as a paragraph above the
    group's table."""
    from docx import Document

    document = Document()
    document.add_paragraph("KẾT QUẢ XẾP HẠNG MỨC ĐỘ CHUYỂN ĐỔI SỐ NĂM 2023")
    document.add_paragraph("2. Kết quả đánh giá, xếp hạng mức độ chuyển đổi số năm 2023")
    for heading, header, rows, printed_average in groups:
        document.add_paragraph(heading)
        fill_table(document, group_table(header, rows, printed_average))
    document.add_paragraph("./.")
    document.save(path)
    return path
