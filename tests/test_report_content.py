"""What a period's report says (services.publication.content.gather), against the rollups it is
drawn from at several dates: counts, the previous period (live, or its published figures once
closed), bands, every task line, overdue parts, causes, next period; a running period reported as
of today; the JSON round trip that a close stores."""
import json
from dataclasses import replace
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import services.reporting.rollup
from models import Assignment, Indicator, IndicatorValue, PeriodClose, Plan, Task, User
from services.common.saving import Outcome
from services.indicators.achievement import Band
from services.indicators.standings import band_counts
from services.indicators.updates import save_value
from services.plans.statuses import STATUS_LABELS, Status
from services.publication.causes import OTHER, causes_of, group_reasons
from services.publication.content import from_json, gather, to_json
from services.publication.report import UnknownFormat, report_content, report_file
from services.reporting.dashboard import CATEGORY_LABELS, overdue_board, selection_for
from services.reporting.periods import InvalidPeriod, parse_period
from services.reporting.rollup import plan_rollup, tasks_counted, tasks_in_force
from services.tasks.history import apply_assignment_change
from tests.test_rollup import at, change, plan_db  # noqa: F401  (plan_db is a fixture)
from web.auth import actor_from_user

TODAY = date(2026, 11, 25)
ONLINE = "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"  # target 90 %, monitored by Văn phòng UBND tỉnh
CENTRE = "Có Trung tâm an ninh mạng cấp tỉnh"  # target "Có"
FIVE_G = "Tỷ lệ phủ sóng mạng di động băng rộng 5G trên dân số"  # target 50 %
FUND = "Chưa được bố trí kinh phí, đang chờ thẩm định dự toán"
PEOPLE = "Thiếu cán bộ chuyên trách"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """"Now" is TODAY for the live rollup (a running period is counted as of today)."""
    monkeypatch.setattr(services.reporting.rollup, "today", lambda: TODAY)


def update(db, stt, when, agency_index=None, plan_id=None, **fields):
    """A dated update of a task's assignments (one of them with agency_index), through the history."""
    with db.write() as s:
        plan_id = plan_id or s.scalar(select(Plan.id).order_by(Plan.id))
        parts = s.scalars(select(Assignment).join(Task).where(Task.plan_id == plan_id, Task.stt == stt)
                          .order_by(Assignment.id)).all()
        for part in parts if agency_index is None else [parts[agency_index]]:
            apply_assignment_change(s, part, fields, when=when, recorded_at=when, user_id=None)


def target_value(db, name, period, value, when):
    """The secretariat enters a target's value for a period (the form's version: 0 for a first entry)."""
    with db.write() as s:
        tgv = actor_from_user(s.scalar(select(User).where(User.username == "tgv")))
        indicator = s.scalar(select(Indicator).where(Indicator.name == name).order_by(Indicator.id))
        saved = s.scalar(select(IndicatorValue.version).where(IndicatorValue.indicator_id == indicator.id,
                                                              IndicatorValue.period == period))
        result = save_value(s, tgv, indicator.id, saved or 0, {"period": period, "value": value}, when=when)
        assert result.outcome is Outcome.SAVED, result.message


def demo_story(db):
    """On the demo plan: 4 done on time (Q1), 5 started with a reason about funds and overdue from
    Q3, 2 done late in November, one member of group task 31 started with a staffing reason;
    two targets reported in Q1 and Q2."""
    update(db, "4", at(2026, 3, 20), status="done", progress=100, completed_on=date(2026, 3, 20),
           result="Quyết định số 12/QĐ-UBND ngày 20/03/2026")
    update(db, "5", at(2026, 4, 10), status="in_progress", progress=30, delay_reason=FUND)
    update(db, "31", at(2026, 5, 2), agency_index=1, status="in_progress", progress=20, delay_reason=PEOPLE)
    update(db, "2", at(2026, 10, 5), status="in_progress", progress=50)
    update(db, "2", at(2026, 11, 5), status="done", progress=100, completed_on=date(2026, 11, 5),
           result="Báo cáo số 5/BC-SKHCN")
    target_value(db, CENTRE, "2026-Q1", "Có", at(2026, 4, 2))
    target_value(db, ONLINE, "2026-Q2", "70%", at(2026, 7, 2))


@pytest.fixture
def story(demo_db):
    demo_story(demo_db)
    return demo_db


def live(session, plan, day):
    """Rollup as of a past day, or live for today."""
    return plan_rollup(session, plan, None if day >= TODAY else day)


@pytest.mark.parametrize("key", ["2026-Q1", "2026-Q2", "2026-Q3", "2026-06", "2026-H1", "2026-11-20"])
def test_gather_is_the_rollup_at_the_period_end(story, key):
    with story.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        content = gather(s, plan, key, TODAY)
        selection = selection_for(key)
        day = selection.day
        assert (content.day, content.period_ended, content.period_label) == (day, True, selection.label)
        assert content.counts == live(s, plan, day)
        assert content.previous_counts == live(s, plan, selection.previous_day)
        assert content.previous_published_on is None
        assert content.bands == {band.value: n for band, n in band_counts(s, plan, day).items()}
        assert content.previous_bands == {band.value: n for band, n in
                                          band_counts(s, plan, selection.previous_day).items()}
        # Every task in force that day, in the plan's order; each number lists exactly its tasks.
        listed = tasks_in_force(plan, day)
        assert [line.task_id for line in content.tasks] == s.scalars(
            select(Task.id).join(listed, listed.c.task_id == Task.id).order_by(Task.position)).all()
        for category in CATEGORY_LABELS:
            expected = {row.task_id for row in s.execute(tasks_counted(plan, category, day))}
            assert {line.task_id for line in content.tasks_in(category)} == expected, category
        statuses = {row.task_id: row.status for row in s.execute(tasks_counted(plan, "total", day))}
        assert all(line.status == STATUS_LABELS[Status(statuses[line.task_id])] for line in content.tasks)
        board = overdue_board(s, plan, day, TODAY)
        assert content.overdue_total == board.total and len(content.overdue) == len(board.rows)
        assert [(line.stt, line.agency, line.days) for line in content.overdue] == \
            [(row["stt"], row["agency"], row["days"]) for row in board.rows]
        quarter_end = {1: date(2026, 3, 31), 2: date(2026, 6, 30), 3: date(2026, 9, 30), 4: date(2026, 12, 31)}
        assert content.quarter_counts.total == plan_rollup(
            s, plan, day, due_between=(date(2026, (day.month - 1) // 3 * 3 + 1, 1),
                                       quarter_end[(day.month - 1) // 3 + 1])).total
    assert from_json(to_json(content)) == content


def test_lines_say_what_happened(story):
    with story.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        q1, q2, q3 = (gather(s, plan, key, TODAY) for key in ("2026-Q1", "2026-Q2", "2026-Q3"))
    task = {line.stt: line for line in q1.tasks}
    assert (task["4"].status, task["4"].result) == ("Đã hoàn thành", "Quyết định số 12/QĐ-UBND ngày 20/03/2026")
    assert task["4"].categories == ("total", "done", "done_on_time")
    assert q1.next_label == "Quý II/2026" and "5" in [line.stt for line in q1.next_tasks]
    assert all(line.status != "Đã hoàn thành" and line.parent_id is None for line in q1.next_tasks)
    # 31 is shared: its reason is given per agency; the other members have said nothing.
    shared = next(line for line in q2.tasks if line.stt == "31")
    assert shared.status == "Đang thực hiện" and shared.result == PEOPLE  # the only part with a text
    # Q3: task 5 overdue with its reason; the causes group the reasons given.
    assert ("5", "Sở Khoa học và Công nghệ") in [(line.stt, line.agency) for line in q3.overdue]
    causes = {cause.label: cause.reasons for cause in q3.causes}
    assert causes["Kinh phí, nguồn vốn"] == (f"Sở Khoa học và Công nghệ (nhiệm vụ 5): {FUND}",)
    assert causes["Thủ tục, hồ sơ, văn bản hướng dẫn"] == causes["Kinh phí, nguồn vốn"]  # "thẩm định"
    assert list(causes)[-1] == "Nhân lực" and causes["Nhân lực"][0].endswith(f"(nhiệm vụ 31): {PEOPLE}")
    assert q3.bands["from_50_to_80"] == 1 and q3.bands["exceeded"] == 1
    assert q1.bands["exceeded"] == 1 and q1.bands["from_50_to_80"] == 0
    target = next(line for line in q3.targets if line.name == ONLINE)
    assert (target.value_text, target.achievement, target.band) == ("70%", "78%", "from_50_to_80")
    assert next(line for line in q3.targets if line.name == CENTRE).achievement == "Đạt"
    assert next(line for line in q1.targets if line.name == ONLINE).achievement == "Chưa có số liệu"


def test_sub_items_are_listed_with_their_root_status(plan_db):  # noqa: F811
    db, plan_id = plan_db
    change(db, plan_id, "3", at(2026, 4, 1), status="done", progress=100, completed_on=date(2026, 4, 1),
           result="Xong phần chính")
    change(db, plan_id, "3.1", at(2026, 5, 1), status="in_progress", progress=10, delay_reason="Chờ phần mềm")
    with db.read() as s:
        content = gather(s, s.get(Plan, plan_id), "2026-Q2", TODAY)
    lines = {line.stt: line for line in content.tasks}
    assert lines["3.1"].parent_id == lines["3"].task_id and lines["3.1"].categories == ()
    assert lines["3"].status == lines["3.1"].status == "Đang thực hiện"  # the root's, rolled up
    assert "not_started" not in lines["3"].categories and "in_progress" in lines["3"].categories
    assert lines["3"].result == "Sở Nội vụ: Xong phần chính\nSở Xây dựng: Chờ phần mềm"
    assert [cause.label for cause in content.causes] == ["Hạ tầng, thiết bị, phần mềm"]
    assert from_json(to_json(content)) == content


def test_a_closed_period_s_marks_are_said_when_shown_never_stored(plan_db):  # noqa: F811
    db, plan_id = plan_db
    with db.read() as s:
        content = gather(s, s.get(Plan, plan_id), "2026-Q2", TODAY)
    marked = replace(content, published="Số liệu đã chốt ngày 03/07/2026 (người chốt: Tổ giúp việc).",
                     corrections=("Đã hoàn thành: 02 (số đã chốt: 01)",))
    stored = json.loads(to_json(marked))
    assert "published" not in stored and "corrections" not in stored
    assert from_json(to_json(marked)) == content  # a snapshot without them reads with the defaults
    assert marked.corrections_note == ("Số liệu tính lại theo lịch sử hiện nay khác số đã chốt: "
                                       "Đã hoàn thành: 02 (số đã chốt: 01).")
    assert content.corrections_note == ""


def test_a_running_period_is_reported_as_of_today_and_says_so(story):
    with story.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        running = gather(s, plan, "2026-Q4", TODAY)
        assert running.counts == plan_rollup(s, plan) and running.day == TODAY and not running.period_ended
        assert running.as_of_phrase == "Quý IV/2026 (số liệu đến ngày 25/11/2026)"
        assert running.next_label == "Quý I/2027" and running.quarter_label == "Quý IV/2026"
        book = load_workbook(BytesIO(report_file(s, plan, "2026-Q4", TODAY, "xlsx")[0]))
        assert book["Tổng hợp"]["A2"].value == "Tình hình thực hiện Quý IV/2026 (số liệu đến ngày 25/11/2026)"
        assert "31/12/2026" not in book["Tổng hợp"]["A2"].value
        ended = gather(s, plan, "2026-Q3", TODAY)
        assert ended.period_ended and ended.as_of_phrase == "Quý III/2026"
        a_day = gather(s, plan, "2026-11-15", TODAY)
        assert (a_day.period_label, a_day.previous_label, a_day.next_label) == (
            "ngày 15/11/2026", "cuối Tháng 10/2026", "Tháng 12/2026")
        year = gather(s, plan, "2026", TODAY)
        assert (year.day, year.next_label, year.previous_label) == (TODAY, "Năm 2027", "Năm 2025")
        with pytest.raises(InvalidPeriod):
            gather(s, plan, "2026-Q5", TODAY)


def test_the_previous_period_closed_is_compared_by_its_published_figures(story):
    with story.write() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        published = gather(s, plan, "2026-Q2", date(2026, 7, 3))
        tgv = s.scalar(select(User.id).where(User.username == "tgv"))
        q2 = parse_period("2026-Q2")
        s.add(PeriodClose(plan_id=plan.id, period=q2.key, period_start=q2.start, day=q2.end,
                          closed_at=datetime(2026, 7, 3, 10), closed_by_id=tgv, summary="{}",
                          content=to_json(published)))
    # Changes after Q2 was published that alter its live figures (a correction dated inside it, which
    # only the history can still carry, and a value for Q1): its published figures stay.
    update(story, "39", at(2026, 5, 10), status="done", progress=100, completed_on=date(2026, 5, 10),
           result="Đã triển khai")
    target_value(story, FIVE_G, "2026-Q1", "60%", at(2026, 7, 20))
    with story.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        assert plan_rollup(s, plan, q2.end).done == published.counts.done + 1
        assert band_counts(s, plan, q2.end)[Band.EXCEEDED] == published.bands["exceeded"] + 1
        q3 = gather(s, plan, "2026-Q3", TODAY)
        assert q3.previous_counts == published.counts and q3.previous_bands == published.bands
        assert (q3.previous_published_on, q3.previous_day) == (date(2026, 7, 3), q2.end)
        assert q3.compared_with == "Quý II/2026 (số liệu đã chốt)"
        assert q3.change("done") == "tăng 1 nhiệm vụ so với Quý II/2026 (số liệu đã chốt)"
        # The closed period itself is reported as published, marked, with how the live count differs;
        # in the file too.
        shown = report_content(s, plan, "2026-Q2", TODAY)
        assert replace(shown, published="", corrections=()) == published
        assert shown.published.startswith("Số liệu đã chốt ngày 03/07/2026 (người chốt: ")
        assert f"Đã hoàn thành: {published.counts.done + 1:02d} (số đã chốt: {published.counts.done:02d})" \
            in shown.corrections
        assert report_content(s, plan, "Quý II/2026", TODAY) == shown
        assert replace(report_content(s, plan, "2026-Q3", TODAY), generated_at=q3.generated_at) == q3  # counted
        assert (q3.published, q3.corrections) == ("", ())
        data, name = report_file(s, plan, "2026-q2", TODAY, "xlsx")
        assert name == "bao-cao-cds-2026-Q2.xlsx"
        summary = load_workbook(BytesIO(data))["Tổng hợp"]
        assert (summary["A3"].value, summary["A4"].value) == (shown.published, shown.corrections_note)
        assert summary["A5"].value.startswith(f"Đã hoàn thành: {published.counts.done:02d}/")
        q3_book = load_workbook(BytesIO(report_file(s, plan, "2026-Q3", TODAY, "xlsx")[0]))["Tổng hợp"]
        assert any("(số liệu đã chốt)" in str(row[0]) for row in q3_book.iter_rows(values_only=True))
        with pytest.raises(UnknownFormat, match=r"\.docx \(Word\) hoặc \.xlsx"):
            report_file(s, plan, "2026-Q3", TODAY, "pdf")


@pytest.mark.parametrize("reason, causes", [
    ("Chưa bố trí được nguồn vốn", ["Kinh phí, nguồn vốn"]),
    ("ngân sách chưa giao", ["Kinh phí, nguồn vốn"]),
    ("Đang chờ phê duyệt hồ sơ", ["Thủ tục, hồ sơ, văn bản hướng dẫn"]),
    ("Chờ văn bản hướng dẫn của Bộ", ["Thủ tục, hồ sơ, văn bản hướng dẫn"]),
    ("Đường truyền không ổn định, thiết bị cũ", ["Hạ tầng, thiết bị, phần mềm"]),
    ("Thiếu nhân sự", ["Nhân lực"]),
    ("Chờ dữ liệu từ Sở Tài chính, kết nối chưa xong", ["Phối hợp, dữ liệu từ đơn vị khác"]),
    ("Thiếu kinh phí và cán bộ", ["Kinh phí, nguồn vốn", "Nhân lực"]),
    ("Thời tiết xấu", [OTHER]),
    ("Vòng lặp", [OTHER]),  # "von" only as a whole word
])
def test_causes_by_keyword(reason, causes):
    assert causes_of(reason) == causes


def test_reasons_are_grouped_once_most_frequent_first():
    grouped = group_reasons([
        ("Sở Y tế", "12", "Thiếu nhân lực"), ("Sở Y tế", "12", "Thiếu nhân lực"), ("Sở Nội vụ", "3", "  "),
        ("Sở Tư pháp", "7", "Chờ kinh phí"), ("Sở Xây dựng", "8", "Thiếu cán bộ"), ("Công an tỉnh", "9", "Mưa lũ"),
        ("Sở Tài chính", "10", "Thiếu\nkinh phí"),
    ])
    assert grouped == [
        ("Kinh phí, nguồn vốn", ["Sở Tư pháp (nhiệm vụ 7): Chờ kinh phí", "Sở Tài chính (nhiệm vụ 10): Thiếu kinh phí"]),
        ("Nhân lực", ["Sở Y tế (nhiệm vụ 12): Thiếu nhân lực", "Sở Xây dựng (nhiệm vụ 8): Thiếu cán bộ"]),
        (OTHER, ["Công an tỉnh (nhiệm vụ 9): Mưa lũ"]),
    ]
    assert group_reasons([]) == []
