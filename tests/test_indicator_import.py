"""Indicator import (Phụ lục 01 and tables of results): good files in the layouts reports use, each
kind of bad row, unknown agencies, all-or-nothing, and the band counts on real report tables."""
import csv
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

import services.indicators.importer as indicator_import
from models import Agency, ChangeLog, Indicator, IndicatorAgency, IndicatorValue, Plan, Section
from services.common.text import fold
from services.indicators.achievement import Band, TargetKind, parse_target
from services.indicators.importer import import_indicators
from services.indicators.standings import band_counts, standings
from services.plans.demo import DATA_DIR
from services.plans.spreadsheet import ImportFailed, TableRow, propose_mapping, read_tables
from services.reporting.periods import parse_period
from tests.test_cli import run

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Which periods have begun depends on the day: the tests pin it."""
    monkeypatch.setattr(indicator_import, "today", lambda: TODAY)


def write_csv(path: Path, header, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def counts(db):
    with db.read() as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m))
                for m in (Indicator, IndicatorValue, IndicatorAgency, Section, ChangeLog, Agency)}


def demo_plan(s) -> Plan:
    return s.scalar(select(Plan).where(Plan.title == "Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026"))


# A Lào Cai quarterly results table in the printed appendix's layout (TT, Tên mục tiêu, Đơn vị tính,
# Mục tiêu, Kết quả, So sánh kế hoạch giao): the names and targets of the real Phụ lục 01, results
# written the ways reports write them. The last column is what the report printed: it must agree.
APPENDIX_HEADER = ["TT", "Tên mục tiêu", "Đơn vị tính", "Mục tiêu", "Kết quả", "So sánh kế hoạch giao"]
APPENDIX_ROWS = [
    ["I", "Hạ tầng và nền tảng số", "", "", "", ""],
    ["1", "Tỷ lệ phủ sóng mạng di động băng rộng 5G trên dân số", "%", "50%", "49%", "98%"],
    ["3", "Tỷ lệ hộ gia đình có kết nối Internet băng rộng cáp quang", "%", "80%", "(79,6%)", "100%"],
    ["4", "Có Trung tâm an ninh mạng cấp tỉnh", "", "Có", "Có", "Đạt"],
    ["II", "Nhân lực số", "", "", "", ""],
    ["4", "Tỉ lệ người dân được phổ cập kỹ năng số", "%", "40%", "15%", "38%"],
    ["IV", "Chính quyền số", "", "", "", ""],
    ["1", "Chỉ số chuyển đổi số cấp tỉnh", "", "0.7", "0,72", "103%"],
    ["9", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "90%", "86%", "96%"],
    ["11", "Tỷ lệ thanh toán trực tuyến trong giải quyết TTHC, dịch vụ công", "%", "80%", "63,6%", "80%"],
    ["12", "Tỷ lệ xử lý văn bản, hồ sơ công việc toàn trình trên môi trường điện tử của các cơ quan hành chính "
           "nhà nước", "%", "95%", "-", ""],
    ["V", "Kinh tế số", "", "", "", ""],
    ["2", "Tỷ trọng kinh tế số trong GRDP", "%", "13%", "10,4%", "80%"],
    ["3", "Tỷ trọng thương mại điện tử trong tổng mức bán lẻ", "%", "13%", "6,4", "49%"],
    ["VI", "Xã hội số", "", "", "", ""],
    ["1", "Tỷ lệ người dân có tài khoản định danh điện tử VneID (kích hoạt mức 2)", "%", "90%", "Ước đạt 90%",
     "100%"],
]
# By hand: ≥ 100 %: Có, 0,72/0,7, 90/90; 80–100 %: 49/50, 79,6/80, 86/90, 10,4/13 (exactly 80 %);
# 50–80 %: 63,6/80 (79,5 %, printed 80 %); under 50 %: 15/40, 6,4/13; the other 24 of 34 have no value.
APPENDIX_BANDS = {"exceeded": 3, "over_80": 4, "from_50_to_80": 1, "under_50": 2, "no_data": 24}


def test_the_demo_appendix_is_understood(demo_db):
    with demo_db.read() as s:
        indicators = s.scalars(select(Indicator)).all()
        kinds = {i.name: parse_target(i.target_text).kind for i in indicators}
        assert sum(kind is TargetKind.NUMBER for kind in kinds.values()) == 33
        assert kinds["Có Trung tâm an ninh mạng cấp tỉnh"] is TargetKind.TEXT
        assert all(i.higher_is_better and i.version == 1 for i in indicators)
        access = s.scalar(select(Indicator).where(Indicator.name.startswith("Tỷ lệ dân số trưởng thành")))
        monitors = set(s.scalars(select(Agency.name).join(IndicatorAgency, IndicatorAgency.agency_id == Agency.id)
                                 .where(IndicatorAgency.indicator_id == access.id, IndicatorAgency.role == "monitor")))
        assert monitors == {"Sở Y tế", "Sở Giáo dục và Đào tạo", "Bảo hiểm xã hội tỉnh"}
        assert s.scalar(select(func.count(ChangeLog.id)).where(ChangeLog.entity == "indicator")) == 0


def test_importing_the_same_appendix_again_changes_nothing(demo_db):
    before = counts(demo_db)
    with demo_db.write() as s:
        summary = import_indicators(s, demo_plan(s), DATA_DIR / "lao_cai_2026_phu_luc_01.xlsx")
    assert (summary.indicators, summary.created, summary.updated, summary.values) == (34, 0, 0, 0)
    assert counts(demo_db) == before


def test_a_results_table_in_the_printed_layout_adds_values_to_the_plan(demo_db, tmp_path):
    path = write_csv(tmp_path / "ket-qua-quy-2.csv", APPENDIX_HEADER, APPENDIX_ROWS)
    result = run(demo_db, "import-indicators", str(path), "--plan", "1", "--period", "Quý II/2026")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["indicators"], summary["created"], summary["updated"], summary["values"]) == (11, 0, 0, 10)
    bands = json.loads(run(demo_db, "indicator-bands", "--plan", "1", "--period", "2026-Q2", "--json").output)
    assert bands == APPENDIX_BANDS
    # What the report printed in "So sánh kế hoạch giao" is what the app computes, row by row.
    printed = {row[1]: row[5] for row in APPENDIX_ROWS if row[5]}
    with demo_db.read() as s:
        shown = {st.indicator.name: st.achievement.label for st in standings(s, demo_plan(s), date(2026, 6, 30))}
        ict = s.scalar(select(IndicatorValue).join(Indicator).where(Indicator.name.startswith("Tỷ lệ hộ gia đình")))
        assert (ict.period, ict.value_text, ict.is_estimate, ict.period_end) == ("2026-Q2", "79,6%", True,
                                                                                 date(2026, 6, 30))
    assert {name: shown[name if not name.startswith("Tỉ") else name.replace("Tỉ", "Tỷ", 1)]
            for name in printed} == printed
    # Before the quarter's end nothing was reported; the text form says how that changed.
    text = run(demo_db, "indicator-bands", "--plan", "1", "--period", "2026-Q2").output.splitlines()
    assert text[0] == "Hoàn thành và vượt kế hoạch giao: 3 mục tiêu (tăng 3 mục tiêu so với Quý I/2026)"
    assert text[4] == "Chưa có số liệu: 24 mục tiêu (giảm 10 mục tiêu so với Quý I/2026)"
    q1 = json.loads(run(demo_db, "indicator-bands", "--plan", "1", "--period", "2026-Q1", "--json").output)
    assert q1 == {"exceeded": 0, "over_80": 0, "from_50_to_80": 0, "under_50": 0, "no_data": 34}


def test_the_latest_period_ending_by_the_day_counts(demo_db, tmp_path):
    header = ["STT", "Tên mục tiêu", "Kỳ báo cáo", "Kết quả"]
    name = "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"  # target 90 %
    rows = [["9", name, "Tháng 4/2026", "40%"], ]
    path = write_csv(tmp_path / "t4.csv", header, rows)
    with demo_db.write() as s:
        import_indicators(s, demo_plan(s), path)
    for period, value in (("Quý II/2026", "81%"), ("6 tháng đầu năm 2026", "(90%)"), ("Năm 2026", "95%")):
        with demo_db.write() as s:
            import_indicators(s, demo_plan(s), write_csv(tmp_path / "x.csv", header, [["9", name, period, value]]))
    with demo_db.read() as s:
        plan = demo_plan(s)
        assert band_counts(s, plan, date(2026, 3, 31))[Band.NO_DATA] == 34
        assert band_counts(s, plan, date(2026, 5, 31))[Band.UNDER_50] == 1      # April's 40 %
        june = {st.indicator.name: st for st in standings(s, plan, date(2026, 6, 30))}[name]
        assert june.value.period == "2026-H1" and june.achievement.band is Band.EXCEEDED  # entered last
        assert band_counts(s, plan, date(2026, 9, 30))[Band.EXCEEDED] == 1      # the year's figure ends 31/12
        assert {st.indicator.name: st for st in standings(s, plan, date(2026, 12, 31))}[name].value.period == "2026"


def test_headers_that_name_the_period_and_percent_cells_in_excel(demo_db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["KẾT QUẢ THỰC HIỆN MỤC TIÊU CHUYỂN ĐỔI SỐ"])
    ws.append([])
    ws.append(["STT", "Mục tiêu", "Kết quả năm 2025", "Mục tiêu năm 2026", "Kết quả 6 tháng đầu năm 2026",
               "Kết quả Quý III/2026", "Ghi chú"])
    ws.append(["1", "Tỷ lệ sử dụng dịch vụ công trực tuyến của người dân và doanh nghiệp", "50%", "60%", 0.45, 0.57,
               "Cổng DVC tỉnh"])
    for row in ws.iter_rows(min_row=4, min_col=5, max_col=6):
        for cell in row:
            cell.number_format = "0%"
    wb.save(tmp_path / "ket-qua.xlsx")
    with demo_db.write() as s:
        summary = import_indicators(s, demo_plan(s), tmp_path / "ket-qua.xlsx")
    assert (summary.created, summary.updated, summary.values) == (0, 0, 2)
    with demo_db.read() as s:
        values = s.execute(select(IndicatorValue.period, IndicatorValue.value_text, IndicatorValue.source_note)
                           .order_by(IndicatorValue.period_end)).all()
    assert [tuple(v) for v in values] == [("2026-H1", "45%", "Cổng DVC tỉnh"), ("2026-Q3", "57%", "Cổng DVC tỉnh")]


def test_a_changed_target_and_direction_are_updated_and_logged(demo_db, tmp_path):
    header = ["STT", "Tên mục tiêu", "Mục tiêu năm", "Cơ quan theo dõi", "Chiều đánh giá"]
    rows = [["5", "Tỷ lệ hồ sơ, kết quả giải quyết TTHC được số hóa", "92%", "VP UBND tỉnh", "Càng cao càng tốt"],
            ["15", "Tỷ lệ hồ sơ trễ hạn", "Dưới 2%", "Văn phòng UBND tỉnh", ""]]
    with demo_db.write() as s:
        summary = import_indicators(s, demo_plan(s), write_csv(tmp_path / "t.csv", header, rows), user_id=2)
    assert (summary.created, summary.updated) == (1, 1)
    with demo_db.read() as s:
        changed = s.scalar(select(Indicator).where(Indicator.name.startswith("Tỷ lệ hồ sơ, kết quả")))
        assert (changed.target_text, changed.monitor_text, changed.version) == ("92%", "Văn phòng UBND tỉnh", 2)
        log = s.scalars(select(ChangeLog).where(ChangeLog.entity == "indicator")).one()  # "VP UBND tỉnh" is the same
        assert (log.field, log.old_value, log.new_value, log.source, log.user_id) == ("target_text", "90%", "92%",
                                                                                      "import", 2)
        late = s.scalar(select(Indicator).where(Indicator.name == "Tỷ lệ hồ sơ trễ hạn"))
        assert late.higher_is_better is False  # "Dưới 2%": lower is better
        assert late.position == 35 and late.section_id is None


BAD = [
    (["x9", "Chỉ tiêu lạ", "%", "50%", "", "", ""], "STT “x9” không hợp lệ"),
    (["7", "", "%", "50%", "", "", ""], "thiếu tên mục tiêu"),
    (["7", "Chỉ tiêu mới không có mục tiêu", "%", "", "", "", ""], "thiếu mục tiêu năm"),
    (["9", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "90%", "Quý II/2026", "Đạt", ""],
     "kết quả “Đạt”: Kết quả phải là một số"),
    (["9", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "90%", "Quý V/2026", "86%", ""], "Kỳ “Quý V/2026” không hợp lệ"),
    (["9", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "90%", "Quý II/2025", "86%", ""], "không thuộc năm kế hoạch 2026"),
    (["9", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "90%", "Tháng 12/2026", "86%", ""], "chưa bắt đầu"),
    (["9", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "90%", "", "86%", ""], "không rõ kỳ báo cáo"),
    (["4", "Có Trung tâm an ninh mạng cấp tỉnh", "", "Có", "Quý II/2026", "Có", "Tốt"], "đánh giá “Tốt”"),
    (["1", "Tỷ lệ phủ sóng mạng di động băng rộng 5G trên dân số", "%", "50%", "", "", ""],
     "trùng tên mục tiêu với dòng 2"),
    (["8", "Chỉ tiêu ba cấp", "%", "95/95/95", "Quý II/2026", "96/94", ""], "có 3 cấp"),
    (["8", "Chỉ tiêu dài", "%", "5" * 130, "", "", ""], "cột “Mục tiêu năm” dài quá 120 ký tự"),
]


@pytest.mark.parametrize("row, reason", BAD)
def test_one_bad_row_changes_nothing_and_is_named(demo_db, tmp_path, row, reason):
    header = ["STT", "Tên mục tiêu", "Đơn vị tính", "Mục tiêu năm", "Kỳ báo cáo", "Kết quả", "Đánh giá"]
    good = [["1", "Tỷ lệ phủ sóng mạng di động băng rộng 5G trên dân số", "%", "50%", "Quý II/2026", "49%", ""]]
    before = counts(demo_db)
    with pytest.raises(ImportFailed) as failure:
        with demo_db.write() as s:
            import_indicators(s, demo_plan(s), write_csv(tmp_path / "bad.csv", header, good + [row] + good[:0]))
    messages = [str(e) for e in failure.value.errors]
    assert any(m.startswith("Dòng 3:") and reason in m for m in messages), messages
    assert counts(demo_db) == before


def test_every_bad_row_and_unknown_agency_is_listed_and_the_cli_exits_1(demo_db, tmp_path):
    header = ["STT", "Tên mục tiêu", "Mục tiêu năm", "Cơ quan chủ trì", "Cơ quan theo dõi"]
    rows = [["1", "Chỉ tiêu A", "50%", "Sở Y tế", "Ban Không Có"], ["2", "", "50%", "", ""],
            ["3", "Chỉ tiêu C", "60%", "Ban Không Có", "Sở Y tế"]]
    before = counts(demo_db)
    result = run(demo_db, "import-indicators", str(write_csv(tmp_path / "b.csv", header, rows)), "--plan", "1")
    assert result.exit_code == 1
    assert "không có thay đổi nào được lưu" in result.output
    assert "Dòng 2: cơ quan chưa có trong danh mục: “Ban Không Có” (các dòng 2, 4)" in result.output
    assert "Dòng 3: thiếu tên mục tiêu." in result.output
    assert counts(demo_db) == before
    created = run(demo_db, "import-indicators", str(write_csv(tmp_path / "b.csv", header, [rows[0], rows[2]])),
                  "--plan", "1", "--create-agencies")
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["created_agencies"] == ["Ban Không Có"]


def test_wrong_files_and_plans_are_refused(demo_db, tmp_path):
    (tmp_path / "chi-tieu.pdf").write_bytes(b"%PDF-1.4")
    assert "Chỉ nhận tệp .xlsx, .csv hoặc .docx" in run(demo_db, "import-indicators", str(tmp_path / "chi-tieu.pdf"),
                                                  "--plan", "1").output
    path = write_csv(tmp_path / "h.csv", ["A", "B"], [["1", "2"]])
    assert "Không tìm thấy dòng tiêu đề" in run(demo_db, "import-indicators", str(path), "--plan", "1").output
    assert run(demo_db, "import-indicators", str(path), "--plan", "99").output.strip() == "Không có kế hoạch mã 99."
    assert run(demo_db, "indicator-bands", "--plan", "1", "--period", "2026-Q5").exit_code == 1


def test_breakdown_lines_are_not_targets(demo_db, tmp_path):
    """Reports list what a rate is made of under it ("- Tổng số TTHC ..."): those are skipped, and said."""
    header = ["TT", "Tên mục tiêu", "Đơn vị tính", "Mục tiêu", "Kỳ báo cáo", "Kết quả"]
    rows = [["9", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "90%", "Quý II/2026", "94"],
            ["-", "Tổng số hồ sơ", "Hồ sơ", "", "", "1.277"], ["*", "Số hồ sơ trực tuyến", "Hồ sơ", "", "", "1.200"]]
    with demo_db.write() as s:
        summary = import_indicators(s, demo_plan(s), write_csv(tmp_path / "w.csv", header, rows))
    assert (summary.indicators, summary.values, summary.ignored_lines) == (1, 1, [3, 4])


def test_a_crash_halfway_leaves_nothing(demo_db, tmp_path, monkeypatch):
    before = counts(demo_db)
    real, calls = indicator_import.record_value, {"n": 0}

    def crash_on_fifth(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(indicator_import, "record_value", crash_on_fifth)
    with pytest.raises(RuntimeError):
        with demo_db.write() as s:
            import_indicators(s, demo_plan(s), write_csv(tmp_path / "q2.csv", APPENDIX_HEADER, APPENDIX_ROWS),
                              period=parse_period("2026-Q2"))
    assert calls["n"] == 5 and counts(demo_db) == before


# Lai Châu (quarterly reporting): the real 2026 targets of its plan (003, "Mục tiêu, chỉ tiêu cụ thể"),
# last year's real results where the report gives them, and first-quarter results for the test.
LAI_CHAU_HEADER = ["Nhóm", "STT", "Tên mục tiêu", "Đơn vị tính", "Kết quả năm trước", "Mục tiêu năm",
                   "Cơ quan chủ trì", "Cơ quan theo dõi", "Kỳ báo cáo", "Kết quả", "Đánh giá"]
LAI_CHAU_ROWS = [
    ["I. Chính quyền số", "1", "Tỷ lệ hồ sơ, kết quả giải quyết thủ tục hành chính được số hóa", "%", "92,50%",
     "Có ≥ 95%", "Các sở, ngành", "Văn phòng UBND tỉnh", "Quý I/2026", "93,1%", ""],
    ["I. Chính quyền số", "2", "Hồ sơ TTHC được số hóa đầy đủ", "%", "92,30%", "Tối thiểu 80%", "Các sở, ngành",
     "Văn phòng UBND tỉnh", "Quý I/2026", "81%", ""],
    ["I. Chính quyền số", "3", "Thông tin, dữ liệu đã số hóa được khai thác, sử dụng lại", "%", "93,38%",
     "Trên 70%", "Các sở, ngành", "Văn phòng UBND tỉnh", "Quý I/2026", "(55%)", ""],
    ["I. Chính quyền số", "4", "Thủ tục hành chính được tiếp nhận, giải quyết phi địa giới hành chính", "%", "",
     "Có ≥ 70%", "Các sở, ngành", "Văn phòng UBND tỉnh", "Quý I/2026", "30%", ""],
    ["II. Kinh tế số, xã hội số", "1", "Người dân có tài khoản định danh điện tử (VNeID)", "%", "", "65%",
     "Công an tỉnh", "Công an tỉnh", "Quý I/2026", "66,2%", ""],
    ["II. Kinh tế số, xã hội số", "2", "Người dân có chữ ký số", "%", "", "5%", "Sở Khoa học và Công nghệ",
     "Sở Khoa học và Công nghệ", "Quý I/2026", "-", ""],
    ["II. Kinh tế số, xã hội số", "3", "Quy mô kinh tế số trong GRDP", "%", "", "9%", "Sở Tài chính", "Sở Tài chính",
     "", "", ""],
    ["III. Nguồn lực", "1", "Chi cân đối ngân sách địa phương cho chuyển đổi số", "%", "", "Tối thiểu 01%",
     "Sở Tài chính", "Sở Tài chính", "Quý I/2026", "1,2%", "Đạt"],
]


def test_another_province_quarterly_table_gives_the_right_counts(demo_db, tmp_path):
    tasks = write_csv(tmp_path / "nv.csv", ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn hoàn thành",
                                            "Sản phẩm/Kết quả"],
                      [["1", "Ban hành kế hoạch", "Sở Khoa học và Công nghệ", "Quý I/2026", "Kế hoạch"]])
    created = run(demo_db, "import-plan", str(tasks), "--province", "Lai Châu", "--year", "2026", "--title",
                  "Kế hoạch chuyển đổi số tỉnh Lai Châu năm 2026", "--cadence", "quarterly", "--deadline-day", "5",
                  "--create-agencies")
    plan_id = json.loads(created.output)["plan_id"]
    path = write_csv(tmp_path / "lai-chau.csv", LAI_CHAU_HEADER, LAI_CHAU_ROWS)
    refused = run(demo_db, "import-indicators", str(path), "--plan", str(plan_id))
    assert refused.exit_code == 1 and "Văn phòng UBND tỉnh" in refused.output  # Lai Châu's own directory
    result = run(demo_db, "import-indicators", str(path), "--plan", str(plan_id), "--create-agencies")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["created"], summary["values"], summary["sections"], summary["ignored_assessments"]) == \
        (8, 6, 3, [9])  # "Đạt" beside a number: the number decides
    # By hand: 93,1/95 = 98 %; 81/80 ≥ 100 %; 55/70 = 79 % (estimate); 30/70 = 43 %; 66,2/65 ≥ 100 %;
    # 1,2/1 ≥ 100 %; "-" and an empty row: no data.
    expected = {"exceeded": 3, "over_80": 1, "from_50_to_80": 1, "under_50": 1, "no_data": 2}
    for period in ("2026-Q1", "2026-03", "2026-H1", "2026"):
        bands = json.loads(run(demo_db, "indicator-bands", "--plan", str(plan_id), "--period", period,
                               "--json").output)
        assert bands == expected, period
    lao_cai = json.loads(run(demo_db, "indicator-bands", "--plan", "1", "--period", "2026-Q1", "--json").output)
    assert lao_cai["no_data"] == 34  # another province's values never count for Lào Cai


@pytest.mark.parametrize("header, period, estimate", [
    ("Kết quả 6 tháng (ước t/h)", "2025-H1", True),
    ("Kết quả 06 tháng đầu năm", "2025-H1", False),
    ("Ước đạt 6 tháng", "2025-H1", True),
    ("Kết quả 9 tháng", "2025-Q3", False),  # the nine months end with the third quarter
    ("Kết quả Quý II", "2025-Q2", False),
    ("Kết quả thực hiện Quý II/2025", "2025-Q2", False),
    ("Kết quả tháng 6", "2025-06", False),
    ("Ước thực hiện năm", "2025", True),
    ("Ước thực hiện năm 2025", "2025", True),
    ("Thực hiện cả năm", "2025", False),
    ("Kết quả (%)", None, False),
    ("Kết quả 6 tháng năm 2024", "2024-H1", False),  # read, then left out: not the plan year
])
def test_result_headers_name_their_period_in_the_plan_year(header, period, estimate):
    result = indicator_import.result_header(fold(header), 2025)
    assert ((result.period.key if result.period else None), result.estimate) == (period, estimate)


@pytest.mark.parametrize("header", ["So sánh kế hoạch giao", "Mục tiêu 2025", "Cơ quan chủ trì", "Ghi chú"])
def test_other_headers_are_not_results(header):
    assert indicator_import.result_header(fold(header), 2025) is None


@pytest.mark.parametrize("year, target", [(2025, "Mục tiêu 2025"), (2024, "Mục tiêu 2024"), (2023, "Kế hoạch giao")])
def test_the_target_column_is_the_plan_years(year, target):
    headers = ["STT", "Chỉ tiêu", "Mục tiêu 2024", "Mục tiêu 2025", "Kế hoạch giao"]
    mapping = propose_mapping([TableRow(1, headers)], indicator_import.indicator_columns(year))
    assert headers[mapping.fields["target"]] == target


def test_a_results_column_naming_its_period_without_the_year_gives_the_plan_years_estimates(demo_db, tmp_path):
    """Tried before: such a table imported its targets and silently dropped every result."""
    header = APPENDIX_HEADER[:4] + ["Kết quả 6 tháng (ước t/h)", "So sánh kế hoạch giao"]
    result = run(demo_db, "import-indicators", str(write_csv(tmp_path / "6-thang.csv", header, APPENDIX_ROWS)),
                 "--plan", "1")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["values"], summary["estimates"], summary["value_periods"]) == (10, 10, {"6 tháng đầu năm 2026": 10})
    assert summary["unused_columns"] == [{"index": 5, "header": "So sánh kế hoạch giao",
                                          "reason": indicator_import.COMPUTED_REASON}]
    with demo_db.read() as s:
        assert set(s.execute(select(IndicatorValue.period, IndicatorValue.is_estimate)).all()) == {("2026-H1", True)}


def test_group_rows_and_breakdown_lines_as_tables_print_them(demo_db, tmp_path):
    header = ["TT", "Tên mục tiêu", "Đơn vị tính", "Mục tiêu năm", "Kỳ báo cáo", "Kết quả"]
    rows = [["a) Chính quyền số", "", "", "", "", ""],
            ["9", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", "90%", "Quý II", "94"],
            ["", "- Tổng số hồ sơ", "Hồ sơ", "", "", "1.277"],
            ["b", "Xã hội số", "", "", "", ""],
            ["1", "Tỷ lệ người dân có tài khoản định danh điện tử VneID (kích hoạt mức 2)", "%", "90%", "Quý II",
             "(88%)"]]
    table = read_tables(write_csv(tmp_path / "g.csv", header, rows))[0]
    with demo_db.read() as s:
        preview = indicator_import.preview_indicators(s, demo_plan(s), table)
    assert [(r["kind"], r["section"], r["action"]) for r in preview.rows] == [
        ("Nhóm", "", ""), ("Mục tiêu", "a) Chính quyền số", "update"), ("Dòng chi tiết", "a) Chính quyền số", "skipped"),
        ("Nhóm", "a) Chính quyền số", ""), ("Mục tiêu", "b Xã hội số", "update")]
    assert (preview.summary.values, preview.summary.value_periods, preview.summary.ignored_lines) == \
        (2, {"Quý II/2026": 2}, [4])
