"""The DTI ranking (issue 18, deliverable 4): the decision's rules at their edges; Lào Cai's 2023
ranking (seed 004) typed as printed, in Word and in Excel, every percentage, level, rank and average
checked against the decision; malformed rows named and nothing written; the commands; the page's
import through its callbacks and the role matrix with forged requests."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import Agency, ChangeLog, DtiGroup, DtiRanking, DtiScore, Plan, Province
from services.common.text import fold
from services.dti.importer import parse_ranking, preview_ranking, write_ranking
from services.dti.rankings import group_summaries, ranking_rows
from services.dti.rules import Level, average, level_of, nearest_scale, percent_text, points_text, ranks
from services.plans.spreadsheet import read_tables
from tests.conftest import make_app
from tests.real_dti_tables import (
    GROUPS,
    HEADER,
    LEVELS,
    MAXIMA,
    ROWS,
    TITLES,
    group_table,
    one_sheet,
    title_merges,
    write_docx,
    write_xlsx,
)
from tests.real_tables import write_docx as write_one_docx_table
from tests.test_import_page import data_url, logged_in, response_of
from tests.test_province_wall import two_provinces  # noqa: F401  (fixture)


def run(db, *args):
    return make_app(db).server.test_cli_runner().invoke(args=list(args))


def province(session, name: str = "Lào Cai") -> Province:
    return session.scalar(select(Province).where(Province.name == name))


def scores_count(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(DtiScore.id)))


# ---- The rules -------------------------------------------------------------------------------------

@pytest.mark.parametrize("score, maximum, level", [
    (75001, 100000, Level.LEADING), (75000, 100000, Level.ADVANCED),  # 75 % itself is not "over 75 %"
    (50001, 100000, Level.ADVANCED), (50000, 100000, Level.FORMING),
    (25001, 100000, Level.FORMING), (25000, 100000, Level.STARTING), (0, 100000, Level.STARTING),
    (60001, 80000, Level.LEADING), (60000, 80000, Level.ADVANCED), (20000, 80000, Level.STARTING),
])
def test_levels_are_decided_on_the_exact_ratio(score, maximum, level):
    assert level_of(score, maximum) is level


def test_percentages_are_truncated_ranks_shared_and_averages_rounded_half_up():
    assert percent_text(76039, 100000) == "76,03%"  # 76,039 % printed 76,03 % (not rounded to 76,04)
    assert percent_text(72221, 100000) == "72,22%" and percent_text(49441, 80000) == "61,80%"
    assert percent_text(75000, 100000) == "75,00%" and percent_text(23350, 80000) == "29,18%"
    assert ranks([70000, 80000, 70000, 60000]) == [2, 1, 2, 4]
    assert average([1, 2]) == 2 and average([1, 1, 2]) == 1  # 1,5 → 2; 1,33 → 1 (hundredths)
    assert points_text(62060) == "620,60" and points_text(100000) == "1.000,00"
    assert nearest_scale(49441, Decimal("61.80")) == 80000 and nearest_scale(76039, Decimal("76.03")) == 100000
    assert nearest_scale(50000, Decimal("90")) is None and nearest_scale(50000, Decimal("0")) is None


# ---- 004 typed as printed --------------------------------------------------------------------------

def tables_for(source: str, tmp_path):
    if source == "docx: headings above the tables":
        return read_tables(write_docx(tmp_path / "dti.docx"))
    if source == "xlsx: the groups on one sheet":
        return read_tables(write_xlsx(tmp_path / "dti.xlsx"))
    if source == "xlsx: a sheet per group":
        from openpyxl import Workbook

        from tests.real_tables import fill_sheet
        workbook = Workbook()
        workbook.remove(workbook.active)
        for heading, header, rows, printed_average in GROUPS:
            table = [[heading, "", "", "", ""], *group_table(header, rows, printed_average)]
            fill_sheet(workbook.create_sheet(heading[:4]), table, title_merges(table))
        workbook.save(tmp_path / "sheets.xlsx")
        return read_tables(tmp_path / "sheets.xlsx")
    table = one_sheet()  # docx: one Word table, each heading a row merged across
    return read_tables(write_one_docx_table(tmp_path / "one.docx", table, title_merges(table)))


SOURCES = ["docx: headings above the tables", "xlsx: the groups on one sheet", "xlsx: a sheet per group",
           "docx: one table, headings as rows"]


@pytest.mark.parametrize("source", SOURCES)
def test_the_2023_ranking_typed_as_printed_reproduces_every_figure_of_the_decision(demo_db, tmp_path, source):
    parsed = parse_ranking(tables_for(source, tmp_path), 2023, "004")
    assert parsed.errors == []
    with demo_db.read() as s:
        preview = preview_ranking(s, province(s), parsed, replace=True)
    assert (preview.errors, preview.disagreements, preview.created_agencies) == ([], [], [])
    assert [g["title"] for g in preview.groups] == TITLES
    assert [g["rows"] for g in preview.groups] == [18, 21, 9] and len(preview.rows) == ROWS
    assert [g["maximum"] for g in preview.groups] == MAXIMA
    assert [g["average"] for g in preview.groups] == [printed for *_, printed in GROUPS] == ["620,60", "389,01",
                                                                                                "645,27"]
    assert preview.levels == LEVELS
    printed = [(title, row) for title, (_, _, rows, _) in zip(TITLES, GROUPS) for row in rows]
    checked = 0
    for shown, (title, (rank, name, score, percent, level)) in zip(preview.rows, printed):
        assert (shown["group"], shown["name"], shown["score"]) == (title, name, score)
        assert (str(shown["rank"]), shown["percent"], shown["level"]) == (rank, percent, level), name
        checked += 1
    assert checked == ROWS == 48


def test_the_demo_holds_the_2023_ranking_of_004_and_dti_json_prints_it(demo_db):
    result = run(demo_db, "dti", "--year", "2023", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["levels"] == LEVELS == {"Dẫn dắt": 1, "Nâng cao": 34, "Hình thành": 13, "Khởi động": 0}
    printed = [(title, row) for title, (_, _, rows, _) in zip(TITLES, GROUPS) for row in rows]
    assert len(data["rows"]) == len(printed) == 48
    for row, (title, (rank, name, score, percent, level)) in zip(data["rows"], printed):
        assert fold(row["agency"]) == fold(name), (row["agency"], name)  # "Tỉnh ủy" in the directory, "Tỉnh uỷ" printed
        assert (row["group"], row["rank"], row["percent"], row["level"]) == (title, int(rank), percent, level)
        assert row["score"] == float(score.replace(",", ".")) and row["maximum"] in (1000, 800)
    first = data["rows"][0]
    assert set(first) == {"agency", "group", "score", "maximum", "percent", "level", "rank"}
    with demo_db.read() as s:
        # The plan's agencies matched (12 of them), the 36 that no longer exist in 2026 added once each.
        names = set(s.scalars(select(Agency.name).join(DtiScore, DtiScore.agency_id == Agency.id)))
        assert {"Sở Khoa học và Công nghệ", "Văn phòng Tỉnh ủy", "Mặt trận Tổ quốc Việt Nam tỉnh",
                "Văn phòng UBND tỉnh", "Thanh tra tỉnh"} <= names and len(names) == 48
        assert s.scalar(select(func.count(Agency.id)).where(Agency.name == "Sở Y tế")) == 1
        averages = list(s.scalars(select(DtiGroup.average_hundredths).order_by(DtiGroup.position)))
        assert averages == [62060, 38901, 64527]


def test_import_dti_command_refuses_a_second_import_of_the_year_unless_replacing(demo_db, tmp_path):
    path = write_xlsx(tmp_path / "dti.xlsx")
    refused = run(demo_db, "import-dti", str(path), "--year", "2023")
    with demo_db.read() as s:
        assert list(s.scalars(select(DtiRanking.source_name))) == ["lao_cai_dti_2023.docx"]
    assert refused.exit_code == 1 and "Đã có kết quả xếp hạng DTI năm 2023" in refused.output
    assert "không có thay đổi nào được lưu" in refused.output
    replaced = run(demo_db, "import-dti", str(path), "--year", "2023", "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert "Thay thế kết quả xếp hạng năm 2023" in replaced.output and "3 nhóm, 48 cơ quan" in replaced.output
    with demo_db.read() as s:
        assert list(s.scalars(select(DtiRanking.source_name))) == ["dti.xlsx"]  # the demo's replaced
        assert s.scalar(select(func.count(DtiScore.id))) == 48
        assert s.scalar(select(func.count(ChangeLog.id)).where(ChangeLog.entity == "dti_ranking")) == 2
    other_year = run(demo_db, "import-dti", str(path), "--year", "2024", "--province", "lao cai")
    assert other_year.exit_code == 0, other_year.output
    assert json.loads(run(demo_db, "dti", "--year", "2024", "--json").output)["levels"] == LEVELS
    missing = run(demo_db, "dti", "--year", "2022", "--json")
    assert missing.exit_code == 1 and "Chưa có kết quả xếp hạng DTI năm 2022" in missing.output


def test_unknown_agencies_refuse_the_file_unless_added(demo_db, tmp_path):
    rows = [("1", "Sở Mới Thành Lập", "700,00", "70,00%", "Nâng cao"), ("2", "Sở Y tế", "650,00", "65,00%", "Nâng cao")]
    path = write_docx(tmp_path / "new.docx", [("2.1. Nhóm các cơ quan, đơn vị có thủ tục hành chính", HEADER, rows,
                                               "675,00")])
    refused = run(demo_db, "import-dti", str(path), "--year", "2025")
    assert refused.exit_code == 1
    assert "Dòng 2: cơ quan chưa có trong danh mục: “Sở Mới Thành Lập”" in refused.output
    assert "--create-agencies" in refused.output and scores_count(demo_db) == 48
    added = run(demo_db, "import-dti", str(path), "--year", "2025", "--create-agencies")
    assert added.exit_code == 0, added.output
    assert "Thêm 1 cơ quan vào danh mục: “Sở Mới Thành Lập”" in added.output
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Agency.id)).where(Agency.name == "Sở Mới Thành Lập")) == 1


BAD_ROWS = [
    ("1", "Sở Y tế", "abc", "70,00%", "Nâng cao"),  # a score that is no number
    ("2", "", "600,00", "60,00%", "Nâng cao"),  # no name
    ("3", "Sở Tư pháp", "1.200,00", "120,00%", "Dẫn dắt"),  # over the maximum
    ("4", "Sở Nội vụ", "550,555", "55,05%", "Nâng cao"),  # three decimals
    ("5", "Sở Tài chính", "500,00", "năm mươi", "Hình thành"),  # a percentage that is no number
    ("6", "Sở y tế", "450,00", "45,00%", "Hình thành"),  # the same agency twice
]


def test_malformed_rows_are_each_named_and_nothing_is_written(demo_db, tmp_path):
    groups = [("2.1. Nhóm các cơ quan, đơn vị có thủ tục hành chính", HEADER, BAD_ROWS, "")]
    table = [["KẾT QUẢ XẾP HẠNG", "", "", "", ""], *group_table(HEADER, [("1", "Sở Ngoại vụ", "500,00", "50,00%",
                                                                          "Hình thành")], "")]
    path = write_docx(tmp_path / "bad.docx", groups)
    result = run(demo_db, "import-dti", str(path), "--year", "2025")
    assert result.exit_code == 1
    for expected in ("Dòng 2 (Sở Y tế): Tổng điểm “abc” không phải là số",
                     "Dòng 3: thiếu tên cơ quan",
                     "Dòng 4 (Sở Tư pháp): Tổng điểm 1.200,00 lớn hơn điểm tối đa 1.000,00",
                     "Dòng 5 (Sở Nội vụ): Tổng điểm “550,555” phải là số không âm, tối đa hai chữ số thập phân",
                     "Dòng 6 (Sở Tài chính): Tỷ lệ “năm mươi” không phải là số",
                     "Dòng 7: “Sở y tế” đã có ở dòng 2; mỗi cơ quan một dòng"):
        assert expected in result.output, result.output
    headless = write_xlsx(tmp_path / "headless.xlsx", table)
    result = run(demo_db, "import-dti", str(headless), "--year", "2025")
    assert result.exit_code == 1 and "Dòng 3: chưa có dòng tên nhóm phía trên" in result.output
    nothing = write_xlsx(tmp_path / "nothing.xlsx", [["Danh sách", "", "", "", ""], ["a", "b", "c", "d", "e"]])
    result = run(demo_db, "import-dti", str(nothing), "--year", "2025")
    assert result.exit_code == 1 and "Không tìm thấy bảng xếp hạng" in result.output
    no_scale = write_docx(tmp_path / "scale.docx", [("Nhóm khác", HEADER, [("1", "Sở Y tế", "500,00", "", "")], "")])
    result = run(demo_db, "import-dti", str(no_scale), "--year", "2025")
    assert result.exit_code == 1 and "không xác định được điểm tối đa của nhóm “Nhóm khác”" in result.output
    with demo_db.read() as s:
        assert s.scalar(select(func.count(DtiRanking.id))) == 1 and scores_count(demo_db) == 48


def test_a_maximum_column_is_used_and_printed_values_that_disagree_are_listed(demo_db, tmp_path):
    header = ["TT xếp hạng DTI", "Tên cơ quan", "Điểm tối đa", "Tổng điểm", "Tỷ lệ so với điểm tối đa",
              "Mức độ xếp hạng"]
    rows = [("1", "Sở Y tế", "1.000", "760,39", "76,04%", "Nâng cao"),  # rounded, not truncated; level wrong
            ("3", "Sở Tư pháp", "800", "600,00", "75,00%", "Nâng cao"),  # rank 2 by score
            ("2", "Thanh tra tỉnh", "800", "200,00", "", "")]  # nothing printed to compare
    table = [["2.1. Nhóm thử", "", "", "", "", ""], header, *map(list, rows), ["", "Điểm trung bình", "", "520,00", "",
                                                                             ""]]
    path = write_xlsx(tmp_path / "max.xlsx", table)
    parsed = parse_ranking(read_tables(path), 2025, "max.xlsx")
    assert parsed.errors == []
    with demo_db.write() as s:
        written = write_ranking(s, province(s), parsed)
    assert written.disagreements == [
        "Dòng 3 (Sở Y tế): tỷ lệ in “76,04%”, tính lại 76,03%.",
        "Dòng 3 (Sở Y tế): mức độ in “Nâng cao”, tính lại “Dẫn dắt”.",
        "Dòng 4 (Sở Tư pháp): thứ hạng in “3”, tính lại 2.",
        "Dòng 5 (Thanh tra tỉnh): thứ hạng in “2”, tính lại 3.",
        "Dòng 1 (nhóm “Nhóm thử”): điểm trung bình in “520,00”, tính lại 520,13.",
    ]
    assert [(r["rank"], r["maximum"], r["percent"], r["level"]) for r in written.rows] == [
        (1, "1.000", "76,03%", "Dẫn dắt"), (2, "800", "75,00%", "Nâng cao"), (3, "800", "25,00%", "Khởi động")]
    assert json.loads(run(demo_db, "dti", "--year", "2025", "--json").output)["levels"] == {
        "Dẫn dắt": 1, "Nâng cao": 1, "Hình thành": 0, "Khởi động": 1}
    # Kept with the ranking: the page lists them for the year (the agency's name in place of the row).
    with demo_db.read() as s:
        stored = [d for r in ranking_rows(s, province(s).id, 2025) for d in r["differences"]]
        stored += [d for g in group_summaries(s, province(s).id, 2025) for d in g["differences"]]
    assert stored == [d.replace("Dòng 3 (Sở Y tế)", "Sở Y tế").replace("Dòng 4 (Sở Tư pháp)", "Sở Tư pháp")
                      .replace("Dòng 5 (Thanh tra tỉnh)", "Thanh tra tỉnh").replace("Dòng 1 (nhóm", "Nhóm")
                      .replace("thử”)", "thử”") for d in written.disagreements]


# ---- The page: import through its callbacks, and who may do what -------------------------------------

UPLOAD, PREVIEW, CONFIRM = "dti-data.data", "dti-preview.n_clicks", "dti-confirm.n_clicks"
WRITES = [UPLOAD, CONFIRM]  # each refused to agency and leader users below


def import_fields(file, year=2024, **options) -> dict:
    return {"dti-file": file, "dti-import-year": year, "dti-create-agencies": options.get("create", False),
            "dti-replace": options.get("replace", False)}


def test_the_secretariat_imports_a_year_from_the_page_preview_then_confirm(app, demo_db, tmp_path):
    dash = logged_in(app, "tgv")
    content = write_docx(tmp_path / "dti.docx").read_bytes()
    file = response_of(dash.call(UPLOAD, {"contents": data_url(content), "filename": "QĐ DTI 2024.docx"}))[
        "dti-file"]["data"]
    refused = response_of(dash.call(PREVIEW, 1, import_fields(file, 2023)))
    assert "Đã có kết quả xếp hạng DTI năm 2023" in json.dumps(refused, ensure_ascii=False)
    assert refused["dti-confirm"]["disabled"] is True and refused["dti-previewed"]["data"] is None
    shown = response_of(dash.call(PREVIEW, 1, import_fields(file, 2024)))
    text = json.dumps(shown["dti-summary"], ensure_ascii=False)
    assert "3 nhóm, 48 cơ quan, đơn vị." in text
    assert "Mức độ: Dẫn dắt 1, Nâng cao 34, Hình thành 13, Khởi động 0." in text
    assert "khớp với giá trị tính lại" in text and shown["dti-confirm"]["disabled"] is False
    assert scores_count(demo_db) == 48  # nothing written by the preview
    done = response_of(dash.call(CONFIRM, 1, {"dti-previewed": shown["dti-previewed"]["data"], "dti-refresh": 0}))
    assert "Đã nhập kết quả xếp hạng DTI năm 2024" in json.dumps(done, ensure_ascii=False)
    assert done["dti-refresh"]["data"] == 1 and scores_count(demo_db) == 96
    again = response_of(dash.call(CONFIRM, 2, {"dti-previewed": shown["dti-previewed"]["data"]}))
    assert "Không còn tệp đã tải lên" in json.dumps(again, ensure_ascii=False) and scores_count(demo_db) == 96
    years = response_of(dash.call("dti-refresh.data", 1, {}))
    assert years["dti-year"]["options"] == [{"label": "2024", "value": "2024"}, {"label": "2023", "value": "2023"}]
    view = json.dumps(response_of(dash.call("dti-year.value", "2023", {})), ensure_ascii=False)
    assert "Năm 2023: 48 cơ quan, đơn vị — Dẫn dắt: 1, Nâng cao: 34, Hình thành: 13, Khởi động: 0." in view
    assert "Thành phố Lào Cai" in view and "76,03%" in view and "645,27" in view
    assert "Mọi thứ hạng, tỷ lệ, mức độ và điểm trung bình in trong quyết định khớp" in view


@pytest.mark.parametrize("username", ["so-khcn", "lanhdao"])
def test_agency_and_leader_users_cannot_import_and_a_forged_confirm_writes_nothing(app, demo_db, tmp_path, username):
    secretariat = logged_in(app, "tgv")
    content = write_docx(tmp_path / "dti.docx").read_bytes()
    file = response_of(secretariat.call(UPLOAD, {"contents": data_url(content), "filename": "dti.docx"}))[
        "dti-file"]["data"]
    request = response_of(secretariat.call(PREVIEW, 1, import_fields(file)))["dti-previewed"]["data"]
    dash = logged_in(app, username)
    assert dash.call(UPLOAD, {"contents": data_url(content), "filename": "dti.docx"}).status_code == 403
    assert dash.call(PREVIEW, 1, import_fields(file)).status_code == 403
    assert dash.call(CONFIRM, 1, {"dti-previewed": request}).status_code == 403
    assert scores_count(demo_db) == 48


def test_who_sees_the_ranking_and_the_import_card(app, demo_db, two_provinces):  # noqa: F811
    for username, sees, imports in (("tgv", True, True), ("admin", True, True), ("lanhdao", True, False),
                                    ("so-khcn", False, False)):
        dash = logged_in(app, username)
        years = dash.call("dti-refresh.data", 0, {})
        ranking = dash.call("dti-year.value", "2023", {})
        assert (years.status_code, ranking.status_code) == ((200, 200) if sees else (403, 403)), username
        if sees:
            shown = response_of(years)["dti-import"]["style"]
            assert shown == ({"display": "block"} if imports else {"display": "none"}), username
            assert "Sở Khoa học và Công nghệ" in json.dumps(response_of(ranking), ensure_ascii=False)
    # Lai Châu's secretariat sees no ranking of Lào Cai, and a forged plan of Lào Cai is refused.
    lai_chau = logged_in(app, "tgv-lc")
    assert "Sở Khoa học và Công nghệ" not in json.dumps(response_of(lai_chau.call("dti-year.value", "2023", {})),
                                                        ensure_ascii=False)
    with demo_db.read() as s:
        lao_cai_plan = s.scalar(select(Plan.id).where(Plan.province_id == province(s).id))
    for trigger, value in (("dti-year.value", "2023"), ("dti-refresh.data", 0)):
        forged = lai_chau.call(trigger, value, {"url": f"?ke-hoach={lao_cai_plan}"})
        assert forged.status_code == 403 and "Sở Khoa học" not in forged.get_data(as_text=True)
