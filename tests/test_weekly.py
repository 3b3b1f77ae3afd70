"""Weekly reporting (issue 18): weeks as a plan numbers them, values read the Vietnamese way,
province figures equal to their components in every week, the demo's week 05/2025 against seed 000,
an agency's entry (all or nothing, logged), and the weekly report in Word."""
from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import (
    AgencyIndicator,
    AgencyIndicatorTerm,
    AgencyIndicatorValue,
    AgencyPeriodEntry,
    AnnexRow,
    ChangeLog,
    Plan,
    User,
)
from services.accounts.permissions import NotAllowed
from services.common.saving import Outcome
from services.reporting.dashboard import compliance, selection_for
from services.reporting.periods import (
    WEEK_NUMBERINGS,
    InvalidPeriod,
    Period,
    WeekScheme,
    parse_period,
    periods_of_year,
    reporting_period,
    week_containing,
)
from services.weekly.demo import load_weekly_demo
from services.weekly.entries import agency_form, agency_indicators, has_entered, save_period
from services.weekly.figures import annex, province_figures
from services.weekly.report import weekly_docx
from services.weekly.values import InvalidEntry, parse_entry
from tests.test_cli import run
from web.auth import actor_from_user

LAO_CAI = WeekScheme(5, "first_start")  # Friday weeks, week 1 the first starting in the year
WEEKLY_PLAN_TITLE = "Báo cáo Chuyển đổi số hằng tuần tỉnh Lào Cai năm 2025"


# ---- weeks ----

def test_lao_cai_week_05_2025_runs_friday_to_thursday():
    week = parse_period("2025-W05", LAO_CAI)
    assert (week.start, week.end) == (date(2025, 1, 31), date(2025, 2, 6))
    assert week.label == "Tuần 05/2025" and week.key == "2025-W05"
    assert week.dates_label == "từ ngày 31/01/2025 đến ngày 06/02/2025"
    assert parse_period("Tuần 05/2025", LAO_CAI) == parse_period("tuan 5 nam 2025", LAO_CAI) == week
    assert selection_for("2025-W05", LAO_CAI).previous_label == "Tuần 04/2025"
    # The rule matters: with week 1 the week of 1 January, 31/01/2025 falls in week 06.
    assert WeekScheme(5, "contains_jan1").week_of(date(2025, 1, 31)) == (2025, 6)


@pytest.mark.parametrize("day, scheme, key", [
    (date(2024, 12, 30), WeekScheme(), "2025-W01"),  # ISO 8601: Monday weeks, the week of 4 January
    (date(2021, 1, 3), WeekScheme(), "2020-W53"),
    (date(2026, 12, 31), WeekScheme(), "2026-W53"),
    (date(2025, 1, 1), LAO_CAI, "2024-W52"),  # Wednesday: the Friday week begun 27/12/2024
    (date(2025, 1, 2), LAO_CAI, "2024-W52"),
    (date(2025, 1, 3), LAO_CAI, "2025-W01"),
    (date(2025, 1, 1), WeekScheme(5, "contains_jan1"), "2025-W01"),
    (date(2024, 12, 27), WeekScheme(5, "contains_jan1"), "2025-W01"),
    (date(2024, 12, 26), WeekScheme(5, "contains_jan1"), "2024-W52"),
])
def test_weeks_at_year_boundaries(day, scheme, key):
    week = week_containing(day, scheme)
    assert week.key == key and week.start <= day <= week.end
    assert parse_period(key, scheme) == week


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(9997, 12, 31)),
       st.integers(1, 7), st.sampled_from(sorted(WEEK_NUMBERINGS)))
def test_weeks_tile_the_calendar(day, start, numbering):
    """Every day is in exactly one week of seven days starting on the plan's weekday; weeks number
    1, 2, … without gaps and the one before a week 1 is the last of the year before."""
    scheme = WeekScheme(start, numbering)
    week = week_containing(day, scheme)
    assert week.start <= day <= week.end and week.start.isoweekday() == start
    assert (week.end - week.start).days == 6
    before = week.previous()
    assert before.end + timedelta(days=1) == week.start
    assert before.number == week.number - 1 or (week.number == 1 and before.year == week.year - 1
                                                 and before.number == scheme.weeks_in(before.year))
    assert 52 <= scheme.weeks_in(week.year) <= 53


def test_week_keys_refused_and_listed():
    with pytest.raises(InvalidPeriod, match="không có tuần 54"):
        parse_period("2025-W54", LAO_CAI)
    with pytest.raises(InvalidPeriod):
        parse_period("2025-W00")
    weeks = periods_of_year(2025, ("week",), date(2025, 2, 6), LAO_CAI)
    assert [w.key for w in weeks] == ["2025-W05", "2025-W04", "2025-W03", "2025-W02", "2025-W01"]
    assert reporting_period("weekly", date(2025, 2, 6), LAO_CAI).key == "2025-W05"
    assert Period("month", 2025, 2, LAO_CAI) == Period("month", 2025, 2)  # weeks only shape weeks


# ---- values ----

@pytest.mark.parametrize("text, kind, number, numerator, denominator", [
    ("463.724", "count", 463724, None, None),
    ("79,6%", "percent", 79.6, None, None),
    ("98%", "percent", 98, None, None),
    ("95.56%", "percent", 95.56, None, None),
    ("107/135", "fraction", 100 * 107 / 135, 107, 135),
    ("38.000/50.000", "fraction", 76, 38000, 50000),
    ("66/58", "fraction", 100 * 66 / 58, 66, 58),
    ("100%", "number", 100, None, None),
    ("37.173", "number", 37173, None, None),
])
def test_values_read_the_vietnamese_way(text, kind, number, numerator, denominator):
    value = parse_entry(text, kind)
    assert value.number == pytest.approx(number) and value.text == text and not value.not_applicable
    assert (value.numerator, value.denominator) == (numerator, denominator)


def test_dash_is_not_applicable_and_blank_is_nothing():
    for mark in ("-", " – ", "—"):
        value = parse_entry(mark, "fraction")
        assert value.not_applicable and value.number is None and value.text == "-"
    assert parse_entry("  ", "count") is None and parse_entry(None, "count") is None


@pytest.mark.parametrize("text, kind, message", [
    ("1/0", "fraction", "mẫu số phải lớn hơn 0"),
    ("107", "fraction", "chưa có dạng tử số/mẫu số"),
    ("1,5", "count", "phải là số nguyên"),
    ("abc", "percent", "không phải là số hợp lệ"),
    ("-3", "count", "không phải là số hợp lệ"),
    ("2000%", "percent", "không thể vượt"),
    ("9" * 70, "count", "quá dài"),
])
def test_bad_values_get_a_vietnamese_message(text, kind, message):
    with pytest.raises(InvalidEntry, match=message):
        parse_entry(text, kind)


@given(st.text(max_size=80), st.sampled_from(["count", "fraction", "percent", "number"]))
def test_parser_never_fails_otherwise(text, kind):
    try:
        value = parse_entry(text, kind)
    except InvalidEntry as exc:
        assert str(exc)
    else:
        assert value is None or value.not_applicable or value.number is not None


# ---- the demo's week 05/2025 against seed 000 ----

def _weekly_plan(session) -> Plan:
    return session.scalar(select(Plan).where(Plan.title == WEEKLY_PLAN_TITLE))


@pytest.fixture
def demo_db(demo_db):
    """The demo with its weekly report of week 05/2025, as `init-db --demo` loads it."""
    with demo_db.write() as session:
        load_weekly_demo(session, session.scalar(select(Plan.province_id).limit(1)))
    return demo_db


def test_demo_holds_week_05_as_printed(demo_db):
    with demo_db.read() as session:
        plan = _weekly_plan(session)
        assert (plan.year, plan.week_start, plan.week_numbering, plan.reporting_cadence) == \
            (2025, 5, "first_start", "weekly")
        week = parse_period("2025-W05", LAO_CAI)
        views = annex(session, plan, week)
        assert [len(v.lines) for v in views] == [27, 9, 25]  # every agency row of the three annex tables
        provincial, districts, party = views
        assert [line.entered for line in provincial.lines].count("Đã nhập") == 26
        assert provincial.lines[0].entered == "-"  # Văn phòng Tỉnh ủy: not in the weekly system
        assert provincial.lines[0].name == "Văn phòng Tỉnh ủy (khối đảng, MTTQ và các đoàn thể tỉnh)"
        lao_cai_city = districts.lines[2]
        assert [c.text for c in lao_cai_city.cells.values()] == \
            ["8.292/8.607", "99%", "227/380", "785", "-", "98.958", "153.564", "7/7", "-"]
        dvctt = provincial.columns[2][0]
        science = provincial.lines[3]
        assert science.name == "Sở Khoa học và Công nghệ" and science.cells[dvctt].text == "44/58"
        assert science.cells[dvctt].below_target  # 75,9 % of the 100 % target, with the text cue
        assert party.lines[0].cells[party.columns[0][0]].change == "▲ tăng 47,0 điểm %"  # 53 → 100
        assert party.lines[24].cells[party.columns[0][0]].change == "▼ giảm 2,0 điểm %"  # 85 → 83
        not_applicable = session.scalar(select(func.count()).select_from(AgencyIndicatorValue).join(
            AgencyIndicator, AgencyIndicator.id == AgencyIndicatorValue.indicator_id).where(
            AgencyIndicator.plan_id == plan.id, AgencyIndicatorValue.not_applicable.is_(True)))
        assert not_applicable == 31  # every "-" of the annex
        figures = {f.indicator.name: f for f in province_figures(session, plan, week)}
        assert figures["Tỷ lệ số người có định danh điện tử mức độ 2"].text == "79,6%"
        assert figures["Tỷ lệ TTHC cung cấp trực tuyến một phần và toàn trình đã tích hợp, công khai trên "
                       "Cổng DVC quốc gia"].text == "56%"
        assert figures["Tỷ lệ hệ thống thông tin kết nối, chia sẻ dữ liệu qua nền tảng LGSP tỉnh Lào Cai"].text \
            == "45%"
        assert len(province_figures(session, plan, week)) == 48  # 15 target lines, 33 component lines of part I


# ---- computed figures equal their components in every week ----

def _build(session, plan: Plan, formula: str, roles: list[str]) -> tuple[AgencyIndicator, list[AgencyIndicator]]:
    parts = []
    for position, role in enumerate(roles, start=100):
        part = AgencyIndicator(plan_id=plan.id, scope="agency", position=position, name=f"Thành phần {position}",
                               kind="count")
        session.add(part)
        parts.append(part)
    total = AgencyIndicator(plan_id=plan.id, scope="province", position=99, name=f"Chỉ tiêu {formula}",
                            kind="percent" if formula == "ratio" else "count", formula=formula)
    session.add(total)
    session.flush()
    for part, role in zip(parts, roles):
        session.add(AgencyIndicatorTerm(indicator_id=total.id, term_id=part.id, role=role))
    return total, parts


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.integers(0, 10_000), min_size=3, max_size=3), min_size=2, max_size=4))
def test_computed_figures_equal_their_components(demo_db, weekly):
    """Random counts for two agencies over several weeks: the ratio is 100 × Σ numerators ÷
    Σ denominators of the week, the sum the week's Σ, the cumulative the Σ of every week so far."""
    with demo_db.write() as session:
        plan = _weekly_plan(session)
        agencies = [row.agency_id for row in session.scalars(select(AnnexRow).limit(2))]
        ratio, (top, bottom) = _build(session, plan, "ratio", ["numerator", "denominator"])
        total, (first, second) = _build(session, plan, "sum", ["term", "term"])
        running, (weekly_part,) = _build(session, plan, "cumulative", ["term"])
        weeks = [parse_period(f"2025-W{n:02d}", LAO_CAI) for n in range(6, 6 + len(weekly))]
        for week, (a, b, c) in zip(weeks, weekly):
            for indicator, values in ((top, (a, b)), (bottom, (b + c + 1, c)), (first, (a, c)), (second, (b, 0)),
                                      (weekly_part, (c, a))):
                for agency_id, number in zip(agencies, values):
                    session.add(AgencyIndicatorValue(
                        indicator_id=indicator.id, agency_id=agency_id, period=week.key, period_end=week.end,
                        value_text=str(number), number=number, updated_at=datetime(2025, 3, 1), version=1))
        session.flush()
        so_far = 0
        for week, (a, b, c) in zip(weeks, weekly):
            figures = {f.indicator.id: f for f in province_figures(session, plan, week)}
            assert figures[ratio.id].number == pytest.approx(100 * (a + b) / ((b + c + 1) + c))
            assert figures[total.id].number == a + c + b
            so_far += c + a
            assert figures[running.id].number == so_far
        session.rollback()


# ---- an agency enters its week ----

def _actor(session, username):
    return actor_from_user(session.scalar(select(User).where(User.username == username)))


def _science_form(session, plan, username="so-khcn"):
    actor = _actor(session, username)
    week = parse_period("2025-W05", LAO_CAI)
    return actor, week, agency_form(session, actor, plan, actor.agency_id, week)


def test_agency_form_lists_exactly_its_indicators(demo_db):
    with demo_db.read() as session:
        plan = _weekly_plan(session)
        _, _, lines = _science_form(session, plan)
        assert [(line.name, line.text) for line in lines] == [
            ("Kết quả cài đặt và sử dụng i-Speed (Số lượt cài đặt/Số lượt đo)", ""),
            ("Tỷ lệ hồ sơ công việc (tuần 05)", "100%"),
            ("Tỷ lệ DVCTT toàn trình được cập nhật (Số cầu hình/Số được giao)", "44/58"),
            ("Số người có định danh điện tử mức độ 2", ""),
            ("Số lượng người CCVC được đào tạo tập huấn CĐS", "")]


def test_agency_saves_its_week_all_or_nothing_and_logged(demo_db):
    when = datetime(2025, 2, 7, 9, 0)
    with demo_db.write() as session:
        plan = _weekly_plan(session)
        actor, week, lines = _science_form(session, plan)
        form = {str(line.indicator_id): {"value": line.text, "version": line.version} for line in lines}
        dvctt = str(lines[2].indicator_id)
        bad = {**form, dvctt: {**form[dvctt], "value": "50/0"}, str(lines[0].indicator_id): {"value": "3/4",
                                                                                             "version": 0}}
        result = save_period(session, actor, plan, actor.agency_id, week.key, bad, when=when)
        assert result.outcome is Outcome.INVALID and "mẫu số phải lớn hơn 0" in result.errors[dvctt]
        assert agency_form(session, actor, plan, actor.agency_id, week)[0].text == ""  # nothing saved
        good = {**form, dvctt: {**form[dvctt], "value": "50/58"}}
        result = save_period(session, actor, plan, actor.agency_id, week.key, good, when=when)
        assert result.outcome is Outcome.SAVED, result.message
        assert agency_form(session, actor, plan, actor.agency_id, week)[2].text == "50/58"
        log = session.scalars(select(ChangeLog).where(ChangeLog.entity == "agency_indicator_value",
                                                      ChangeLog.field == "value_text")).all()
        assert [(row.old_value, row.new_value, row.user_id) for row in log] == [("44/58", "50/58", actor.id)]
        stale = save_period(session, actor, plan, actor.agency_id, week.key, good, when=when)
        assert stale.outcome is Outcome.CONFLICT  # the form's versions are the ones before the save


def test_an_agency_enters_only_its_own_week(demo_db):
    with demo_db.write() as session:
        plan = _weekly_plan(session)
        actor, week, lines = _science_form(session, plan)
        other = _actor(session, "so-noi-vu")
        form = {str(line.indicator_id): {"value": "1/2", "version": line.version} for line in lines[:1]}
        with pytest.raises(NotAllowed):
            save_period(session, other, plan, actor.agency_id, week.key, form, when=datetime(2025, 2, 7))
        with pytest.raises(NotAllowed):
            save_period(session, _actor(session, "lanhdao"), plan, actor.agency_id, week.key, form)
        foreign = {str(i.id): {"value": "1", "version": 0} for i in agency_indicators(session, plan, other.agency_id)
                   if i.id not in {line.indicator_id for line in lines}}
        if foreign:
            with pytest.raises(NotAllowed):
                save_period(session, actor, plan, actor.agency_id, week.key, foreign, when=datetime(2025, 2, 7))
        secretariat = _actor(session, "tgv")
        result = save_period(session, secretariat, plan, actor.agency_id, week.key, form, when=datetime(2025, 2, 7))
        assert result.outcome is Outcome.SAVED
        assert session.scalar(select(ChangeLog.on_behalf_of_agency_id).where(
            ChangeLog.entity == "agency_indicator_value")) == actor.agency_id


def test_an_entry_marks_the_week_entered(demo_db):
    with demo_db.write() as session:
        plan = _weekly_plan(session)
        actor = _actor(session, "so-khcn")
        week = parse_period("2025-W06", LAO_CAI)
        science = next(line for line in annex(session, plan, week)[0].lines if line.agency_id == actor.agency_id)
        assert science.entered == "Chưa nhập"
        lines = agency_form(session, actor, plan, actor.agency_id, week)
        empty = save_period(session, actor, plan, actor.agency_id, week.key,
                            {str(line.indicator_id): {"value": " ", "version": 0} for line in lines},
                            when=datetime(2025, 2, 10))
        assert empty.outcome is Outcome.INVALID and "chưa nhập số liệu nào" in empty.message
        assert not has_entered(session, plan, actor.agency_id, week)
        form = {str(line.indicator_id): {"value": "-", "version": 0} for line in lines}
        save_period(session, actor, plan, actor.agency_id, week.key, form, when=datetime(2025, 2, 10))
        science = next(line for line in annex(session, plan, week)[0].lines if line.agency_id == actor.agency_id)
        assert science.entered == "Đã nhập"
        assert session.scalar(select(func.count()).select_from(AgencyPeriodEntry).where(
            AgencyPeriodEntry.period == "2025-W06")) == 1


# ---- the weekly report in Word ----

def test_weekly_report_in_word(demo_db, tmp_path):
    with demo_db.read() as session:
        plan = _weekly_plan(session)
        data = weekly_docx(session, plan, parse_period("2025-W05", LAO_CAI), datetime(2025, 2, 7, 8))
        plan_id = plan.id
    document = Document(BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    assert "Kết quả Chuyển đổi số tuần 05 và nhiệm vụ chủ yếu tuần 06 năm 2025" in paragraphs
    assert "(Từ ngày 31/01/2025 đến ngày 06/02/2025)" in paragraphs
    parts = [p for p in paragraphs if p[:3] in ("I. ", "II.", "III", "IV.", "V. ")]
    assert [p.split(".")[0] for p in parts] == ["I", "II", "III", "IV", "V"]
    targets, tasks, annex_tables = document.tables[1], document.tables[2], document.tables[-3:]
    rows = [[c.text for c in row.cells] for row in targets.rows]
    assert ["6", "Tỷ lệ số người có định danh điện tử mức độ 2", "%", "463.724 / 582.476 → 79,6%"] in rows
    assert ["-", "Số người có định danh điện tử mức độ 2", "Người", "463.724"] in rows
    assert len(rows) == 1 + 48 and len(tasks.rows) == 1 + 8
    assert [len(t.rows) - 1 for t in annex_tables] == [27, 9, 25]
    header = [c.text for c in annex_tables[0].rows[0].cells]
    assert header[5] == "Kết quả nhập liệu trên Hệ thống báo cáo hàng tuần"
    science = [c.text for c in annex_tables[0].rows[4].cells]
    assert science == ["(4)", "Sở Khoa học và Công nghệ", "", "100%", "44/58 (dưới mục tiêu)", "Đã nhập", "", ""]
    out = tmp_path / "tuan-05.docx"
    result = run(demo_db, "export-report", "--plan", str(plan_id), "--period", "2025-W05", "--out", str(out))
    assert result.exit_code == 0 and "Tuần 05/2025" in result.output, result.output
    assert Document(out).tables[1].rows[13].cells[3].text == "660 / 660 → 100%"
    refused = run(demo_db, "export-report", "--plan", str(plan_id), "--period", "2025-W05",
                  "--out", str(tmp_path / "x.xlsx"))
    assert refused.exit_code == 1 and "Word (.docx)" in refused.output


def test_libreoffice_opens_the_weekly_report(demo_db, tmp_path):
    binary = shutil.which("soffice")
    if binary is None:
        if os.environ.get("REQUIRE_LIBREOFFICE"):
            pytest.fail("LibreOffice (soffice) required but not installed")
        pytest.skip("LibreOffice not installed")
    with demo_db.read() as session:
        source = tmp_path / "tuan.docx"
        source.write_bytes(weekly_docx(session, _weekly_plan(session), parse_period("2025-W05", LAO_CAI)))
    profile = tmp_path / "profile"
    subprocess.run([binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                    "txt:Text (encoded):UTF8", "--outdir", str(tmp_path), str(source)], check=True, timeout=120,
                   capture_output=True, env={**os.environ, "HOME": str(tmp_path)})
    text = (tmp_path / "tuan.txt").read_text(encoding="utf-8-sig")
    assert "463.724 / 582.476 → 79,6%" in text and "SỐ LIỆU MỘT SỐ CHỈ TIÊU VỀ CHUYỂN ĐỔI SỐ CẤP TỈNH" in text


def test_a_weekly_plans_compliance_is_its_weekly_entries(demo_db):
    """The reporting compliance of a weekly plan: agency × week, from "Đã nhập" and its time; a new
    entry shows at once (the stored table follows agency_period_entries)."""
    with demo_db.read() as session:  # a read: the table is stored
        plan = _weekly_plan(session)
        table = compliance(session, plan, date(2025, 2, 14))
        assert [p.key for p in table.periods][-4:] == ["2025-W04", "2025-W05", "2025-W06", "2025-W07"]
        rows = {row["name"]: row for row in table.rows}
        assert len(rows) == 60  # every agency entering in the annex (Văn phòng Tỉnh ủy through the party table)
        science = rows["Sở Khoa học và Công nghệ"]
        assert (science["2025-W04"], science["2025-W05"], science["2025-W06"], science["2025-W07"]) == \
            ("Chưa nộp", "Đúng hạn", "Chưa nộp", "Chưa đến hạn")
    with demo_db.write() as session:
        plan = _weekly_plan(session)
        actor = _actor(session, "so-khcn")
        lines = agency_form(session, actor, plan, actor.agency_id, parse_period("2025-W06", LAO_CAI))
        save_period(session, actor, plan, actor.agency_id, "2025-W06",
                    {str(line.indicator_id): {"value": "-", "version": 0} for line in lines},
                    when=datetime(2025, 2, 14, 9))
    with demo_db.read() as session:
        rows = {row["name"]: row for row in compliance(session, _weekly_plan(session), date(2025, 2, 14)).rows}
        assert rows["Sở Khoa học và Công nghệ"]["2025-W06"] == "Nộp muộn"  # after Thursday 13/02


def test_a_plans_weeks_are_set_when_it_is_imported(demo_db, tmp_path):
    from tests.test_import import GOOD_ROWS, write_csv
    path = write_csv(tmp_path / "p.csv", GOOD_ROWS)
    base = ["import-plan", str(path), "--province", "Lào Cai", "--year", "2025", "--title", "Kế hoạch tuần 2025"]
    refused = run(demo_db, *base, "--week-numbering", "iso-ish")
    assert refused.exit_code != 0 and "iso-ish" in refused.output
    created = run(demo_db, *base, "--cadence", "weekly", "--week-start", "5", "--week-numbering", "first_start")
    assert created.exit_code == 0, created.output
    with demo_db.read() as session:
        plan = session.scalar(select(Plan).where(Plan.title == "Kế hoạch tuần 2025"))
        assert (plan.reporting_cadence, plan.week_start, plan.week_numbering) == ("weekly", 5, "first_start")
        assert compliance(session, plan, date(2025, 2, 6)).periods[-1].dates_label == \
            "từ ngày 31/01/2025 đến ngày 06/02/2025"
