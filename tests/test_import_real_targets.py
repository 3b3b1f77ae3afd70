"""Target tables as the provinces print them (tests/real_target_tables.py), from .xlsx and .docx:
which target column is the plan year's, results whose header names the period without the year,
the columns left out and why, a second import changing nothing, the user's column mapping."""
import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

import services.indicators.importer as indicator_import
from models import Agency, ChangeLog, Indicator, IndicatorAgency, IndicatorValue, Plan, Section
from services.indicators.importer import (
    check_indicators,
    pick_indicator_table,
    preview_indicators,
    summary_lines,
    write_indicators,
)
from services.indicators.standings import standings
from services.plans.agencies import AgencyDirectory, get_or_create_province
from services.plans.spreadsheet import ImportFailed, read_tables
from tests.real_target_tables import (
    COMPARED,
    DA08,
    LAI_CHAU,
    LAI_CHAU_BREAKDOWN,
    LAI_CHAU_HEADER,
    LAI_CHAU_HEADING,
    LAI_CHAU_TARGETS,
    LAI_CHAU_TITLE,
    LAI_CHAU_WITH_RESULT,
    LAI_CHAU_YEAR,
    LAO_CAI_TITLE,
    NAME,
    RESULT,
    TARGET_2024,
    TARGET_2025,
    lao_cai_as_printed,
    write_docx,
    write_xlsx,
)
from tests.test_cli import run

H1 = "6 tháng đầu năm 2025"
SECRETARIAT = "Sở Khoa học và Công nghệ"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """The report's date: the first half of 2025 has begun, the third quarter has not."""
    monkeypatch.setattr(indicator_import, "today", lambda: date(2025, 6, 25))


def lai_chau_file(tmp_path, kind: str):
    if kind == "xlsx":
        return write_xlsx(tmp_path / "lai-chau-6-thang.xlsx", LAI_CHAU_HEADER, LAI_CHAU, LAI_CHAU_TITLE)
    return write_docx(tmp_path / "lai-chau-6-thang.docx", LAI_CHAU_HEADER, LAI_CHAU, LAI_CHAU_TITLE,
                      LAI_CHAU_HEADING)


def new_plan(db, province: str, year: int, title: str) -> int:
    with db.write() as s:
        plan = Plan(province_id=get_or_create_province(s, province).id, year=year, title=title,
                    starts_on=date(year, 1, 1), reporting_cadence="quarterly", report_deadline_day=5,
                    created_at=datetime(year, 1, 1))
        s.add(plan)
        s.flush()
        return plan.id


def lai_chau_plan(db) -> int:
    """Lai Châu's 2025 plan; its directory knows only the secretariat, the other leads are created on import."""
    plan_id = new_plan(db, "Lai Châu", LAI_CHAU_YEAR, "Kế hoạch chuyển đổi số tỉnh Lai Châu năm 2025")
    with db.write() as s:
        AgencyDirectory(s, get_or_create_province(s, "Lai Châu")).add(SECRETARIAT, kind="department")
    return plan_id


def counts(db):
    with db.read() as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m))
                for m in (Indicator, IndicatorValue, IndicatorAgency, Section, ChangeLog, Agency)}


def table_of(path, year=LAI_CHAU_YEAR):
    return pick_indicator_table(read_tables(path), None, year)


UNUSED = {"Mục tiêu ĐA 08/ Nghị quyết 20": "mục tiêu theo văn bản khác",
          "Mục tiêu 2024": "mục tiêu năm 2024, không phải năm kế hoạch 2025",
          "So sánh kế hoạch giao": "do ứng dụng tự tính"}


@pytest.mark.parametrize("kind", ["xlsx", "docx"])
def test_a_lai_chau_table_as_printed_gives_the_2025_targets_and_the_estimated_results(demo_db, tmp_path, kind):
    plan_id = lai_chau_plan(demo_db)
    table = table_of(lai_chau_file(tmp_path, kind))
    before = counts(demo_db)
    with demo_db.read() as s:
        preview = preview_indicators(s, s.get(Plan, plan_id), table, create_agencies=True)
    assert counts(demo_db) == before  # the preview writes nothing
    assert preview.errors == []
    headers = preview.mapping.headers
    assert headers[preview.mapping.fields["target"]] == "Mục tiêu 2025"
    assert headers[preview.mapping.fields["value"]] == "Kết quả 6 tháng (ước t/h)"
    unused = {column.header: column.reason for column in preview.summary.unused_columns}
    assert set(unused) == set(UNUSED) and all(UNUSED[h] in unused[h] for h in UNUSED), unused
    summary = preview.summary
    assert (summary.indicators, summary.created, summary.updated, summary.values, summary.estimates,
            summary.sections) == (24, 24, 0, 12, 12, 3)
    assert summary.value_periods == {H1: 12}
    assert len(summary.ignored_lines) == len(LAI_CHAU_BREAKDOWN) == 4
    assert summary.unknown_agencies == ["Sở Nội vụ", "Sở Tài chính", "Sở Y tế", "Văn phòng UBND tỉnh", "Công an tỉnh",
                                        "Sở Công Thương"]
    lines = summary_lines(preview)
    assert "12 kết quả (12 là số ước tính): 12 của 6 tháng đầu năm 2025." in lines
    assert any(line.startswith("Cột không nhập: “Mục tiêu ĐA 08/ Nghị quyết 20” (mục tiêu theo văn bản khác")
               for line in lines), lines
    by_stt = {row["stt"]: row for row in preview.rows if row["kind"] == "Mục tiêu"}
    assert [row["name"] for row in preview.rows if row["kind"] == "Nhóm"] == [
        "a) Phát triển hạ tầng số", "b) Phát triển nguồn lực", "c) Phát triển chính quyền số, kinh tế số, xã hội số"]
    payment = by_stt["15"]
    assert {k: payment[k] for k in ("section", "unit", "target", "target_kind", "target_reading", "value", "period",
                                    "estimate", "action", "problems")} == {
        "section": "c) Phát triển chính quyền số, kinh tế số, xã hội số", "unit": "%", "target": "≥ 70%",
        "target_kind": "Số", "target_reading": "≥ 70", "value": "(83,5%)", "period": H1, "estimate": True,
        "action": "new", "problems": ""}
    assert (by_stt["1"]["value"], by_stt["1"]["period"]) == ("", "")  # "-": no value
    assert by_stt["5"]["target_reading"] == "≥ 1"  # "Tối thiểu 01%"
    assert by_stt["18"]["leads"] == "Công an tỉnh (chưa có trong danh mục)"
    assert [row["action"] for row in preview.rows if row["kind"] == "Dòng chi tiết"] == ["skipped"] * 4

    with demo_db.write() as s:
        written = write_indicators(s, s.get(Plan, plan_id), table, create_agencies=True)
    assert (written.indicators, written.created, written.updated, written.values, written.estimates,
            written.sections) == (24, 24, 0, 12, 12, 3)
    assert [c.header for c in written.unused_columns] == list(UNUSED) and len(written.created_agencies) == 6
    with demo_db.read() as s:
        plan = s.get(Plan, plan_id)
        targets = dict(s.execute(select(Indicator.name, Indicator.target_text)
                                 .where(Indicator.plan_id == plan_id)).all())
        assert targets == {row[NAME]: row[TARGET_2025] for row in LAI_CHAU_TARGETS}
        values = s.execute(select(Indicator.name, IndicatorValue.period, IndicatorValue.value_text,
                                  IndicatorValue.is_estimate).join(Indicator)
                           .where(Indicator.plan_id == plan_id)).all()
        assert sorted(tuple(v) for v in values) == sorted(
            (row[NAME], "2025-H1", row[RESULT], True) for row in LAI_CHAU_WITH_RESULT)
        sections = s.execute(select(Section.code, Section.title).where(Section.plan_id == plan_id)
                             .order_by(Section.position)).all()
        assert [tuple(x) for x in sections] == [("a", "Phát triển hạ tầng số"), ("b", "Phát triển nguồn lực"),
                                                ("c", "Phát triển chính quyền số, kinh tế số, xã hội số")]
        # What the report printed in "So sánh kế hoạch giao" is what the app computes from what it read.
        shown = {st.indicator.name: st.achievement.label for st in standings(s, plan, date(2025, 6, 30))}
        assert {row[NAME]: shown[row[NAME]] for row in LAI_CHAU_TARGETS} == \
            {row[NAME]: row[COMPARED] for row in LAI_CHAU_TARGETS}

    after_first = counts(demo_db)
    with demo_db.read() as s:
        again = preview_indicators(s, s.get(Plan, plan_id), table)
    assert again.errors == [] and again.summary.unknown_agencies == []
    assert {row["action"] for row in again.rows if row["kind"] == "Mục tiêu"} == {"unchanged"}
    assert (again.summary.created, again.summary.updated, again.summary.unchanged, again.summary.values) == \
        (0, 0, 24, 0)
    with demo_db.write() as s:
        second = write_indicators(s, s.get(Plan, plan_id), table)
    assert (second.indicators, second.created, second.updated, second.values, second.sections) == (24, 0, 0, 0, 0)
    assert counts(demo_db) == after_first


def test_the_users_mapping_is_honoured_and_a_computed_column_is_refused(demo_db, tmp_path):
    plan_id = lai_chau_plan(demo_db)
    table = table_of(lai_chau_file(tmp_path, "docx"))
    choose_2024 = {"target": TARGET_2024}
    with demo_db.read() as s:
        preview = preview_indicators(s, s.get(Plan, plan_id), table, overrides=choose_2024, create_agencies=True)
        assert preview.errors == []
        reasons = {c.header: c.reason for c in preview.summary.unused_columns}
        assert reasons["Mục tiêu 2025"] == "đã chọn cột “Mục tiêu 2024” làm “Mục tiêu năm 2025”"
        assert {row["stt"]: row["target"] for row in preview.rows if row["kind"] == "Mục tiêu"}["15"] == "45%"
        for overrides in ({"value": COMPARED}, {"target": COMPARED}):
            with pytest.raises(ImportFailed) as refused:
                preview_indicators(s, s.get(Plan, plan_id), table, overrides=overrides)
            assert str(refused.value) == "Ghép cột: cột “So sánh kế hoạch giao” do ứng dụng tự tính " \
                                         "(kết quả ÷ mục tiêu), không đọc từ tệp."
        with pytest.raises(ImportFailed, match="chưa chọn cột cho “Tên mục tiêu, chỉ tiêu”"):
            preview_indicators(s, s.get(Plan, plan_id), table, overrides={"name": None})
    with demo_db.write() as s:
        write_indicators(s, s.get(Plan, plan_id), table, overrides=choose_2024, create_agencies=True)
    with demo_db.read() as s:
        targets = dict(s.execute(select(Indicator.name, Indicator.target_text)
                                 .where(Indicator.plan_id == plan_id)).all())
    assert targets == {row[NAME]: row[TARGET_2024] for row in LAI_CHAU_TARGETS}
    assert targets != {row[NAME]: row[DA08] for row in LAI_CHAU_TARGETS}


def test_leaving_the_results_out_reads_targets_only_and_says_so(demo_db, tmp_path):
    plan_id = lai_chau_plan(demo_db)
    table = table_of(lai_chau_file(tmp_path, "xlsx"))
    with demo_db.write() as s:
        summary = write_indicators(s, s.get(Plan, plan_id), table, overrides={"value": None}, create_agencies=True)
    assert (summary.created, summary.values) == (24, 0)
    assert {c.header: c.reason for c in summary.unused_columns}["Kết quả 6 tháng (ước t/h)"] == \
        "không chọn đọc cột kết quả"


def test_the_command_line_takes_a_word_table_and_lists_the_columns_left_out(demo_db, tmp_path):
    plan_id = lai_chau_plan(demo_db)
    path = lai_chau_file(tmp_path, "docx")
    heading = run(demo_db, "import-indicators", str(path), "--plan", str(plan_id), "--table", "1")
    assert heading.exit_code == 1 and "Không tìm thấy dòng tiêu đề" in heading.output
    missing = run(demo_db, "import-indicators", str(path), "--plan", str(plan_id), "--table", "3")
    assert missing.exit_code == 1 and "Tệp có 2 bảng; không có bảng số 3." in missing.output
    refused = run(demo_db, "import-indicators", str(path), "--plan", str(plan_id), "--table", "2")
    assert refused.exit_code == 1 and "cơ quan chưa có trong danh mục: “Sở Nội vụ”" in refused.output
    result = run(demo_db, "import-indicators", str(path), "--plan", str(plan_id), "--table", "2",
                 "--create-agencies")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["created"], summary["values"], summary["value_periods"]) == (24, 12, {H1: 12})
    assert [(c["header"], c["reason"].split(" (")[0]) for c in summary["unused_columns"]] == [
        ("Mục tiêu ĐA 08/ Nghị quyết 20", "mục tiêu theo văn bản khác, không phải mục tiêu năm 2025 của kế hoạch"),
        ("Mục tiêu 2024", "mục tiêu năm 2024, không phải năm kế hoạch 2025"),
        ("So sánh kế hoạch giao", "do ứng dụng tự tính")]
    again = json.loads(run(demo_db, "import-indicators", str(path), "--plan", str(plan_id)).output)  # table found
    assert (again["created"], again["updated"], again["values"]) == (0, 0, 0)


@pytest.mark.parametrize("kind", ["xlsx", "docx"])
def test_lao_cai_phu_luc_01_as_002_prints_it(demo_db, tmp_path, kind):
    header, rows = lao_cai_as_printed()
    assert sum(row == header for row in rows) == 3  # the header at the top of each printed page
    write = write_xlsx if kind == "xlsx" else write_docx
    path = write(tmp_path / f"phu-luc-01.{kind}", header, rows, LAO_CAI_TITLE)
    before = counts(demo_db)
    with demo_db.write() as s:
        demo = s.scalar(select(Plan).where(Plan.title == "Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026"))
        same = write_indicators(s, demo, table_of(path, 2026))
    assert (same.indicators, same.created, same.updated, same.values, same.unused_columns) == (34, 0, 0, 0, [])
    assert counts(demo_db) == before  # the demo plan was loaded from the same appendix
    plan_id = new_plan(demo_db, "Lào Cai", 2026, "Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026 (bản Word)")
    with demo_db.read() as s:
        check_indicators(s, s.get(Plan, plan_id), table_of(path, 2026))  # every agency is known
    with demo_db.write() as s:
        fresh = write_indicators(s, s.get(Plan, plan_id), table_of(path, 2026))
    assert (fresh.created, fresh.sections, fresh.values, fresh.ignored_lines) == (34, 6, 0, [])
    with demo_db.read() as s:
        def appendix(title):
            return s.execute(select(Section.code, Section.title, Indicator.stt, Indicator.name, Indicator.target_text,
                                    Indicator.baseline_text, Indicator.lead_text, Indicator.monitor_text)
                             .join(Section, Section.id == Indicator.section_id).join(Plan, Plan.id == Indicator.plan_id)
                             .where(Plan.title == title).order_by(Indicator.position)).all()
        assert appendix("Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026 (bản Word)") == \
            appendix("Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026")
