"""The secretariat's and leaders' views against hand-computed cases: as-of counts and their
change, the quarter's own view, the tasks behind each number, the overdue board, compliance,
and the Excel export read back cell by cell."""
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import Agency, Assignment, Plan, Task, User
from services.common.saving import Outcome
from services.publication.content import gather
from services.publication.report import report_file
from services.reporting.dashboard import (
    OVERDUE_BANDS,
    agency_table,
    compliance,
    overdue_band,
    overdue_board,
    part_agency,
    selection_for,
    tasks_behind,
)
from services.reporting.periods import InvalidPeriod
from services.reporting.rollup import COUNT_KEYS, plan_rollup
from services.tasks.submissions import submit_report
from tests.test_rollup import at, change, plan_db  # noqa: F401  (fixture)
from web.auth import actor_from_user

TODAY = date(2026, 11, 23)


@pytest.fixture
def story(plan_db):  # noqa: F811
    """Task 1 done on time then reopened; 2 done late; 3 half done (its sub-item untouched);
    5 started by one commune of six; 6 (quarterly) updated in February."""
    db, plan_id = plan_db
    change(db, plan_id, "1", at(2026, 3, 20), status="done", progress=100, completed_on=date(2026, 3, 20),
           result="Báo cáo số 12/BC-STC")
    change(db, plan_id, "2", at(2026, 2, 1), status="in_progress", progress=40)
    change(db, plan_id, "2", at(2026, 4, 10), status="done", progress=100, completed_on=date(2026, 4, 10),
           result="QĐ 5/QĐ-UBND")
    change(db, plan_id, "3", at(2026, 4, 1), status="done", progress=100, completed_on=date(2026, 4, 1))
    change(db, plan_id, "5", at(2026, 5, 1), agency_index=0, status="in_progress", progress=10)
    change(db, plan_id, "6", at(2026, 2, 15), status="in_progress", progress=10)
    change(db, plan_id, "1", at(2026, 5, 5), status="in_progress", progress=80, completed_on=None,
           delay_reason="Phải làm lại theo góp ý")
    return db, plan_id


def test_report_counts_as_of_quarters_with_the_change(story):
    db, plan_id = story
    with db.read() as s:
        result = gather(s, s.get(Plan, plan_id), "2026-Q2", TODAY, lists=False)
    assert result.counts.as_dict() == {"total": 6, "done": 1, "done_on_time": 0, "done_late": 1,
                                       "in_progress": 4, "not_started": 1, "overdue": 1, "ongoing": 1}
    assert result.previous_counts.as_dict() == {"total": 6, "done": 1, "done_on_time": 1, "done_late": 0,
                                                "in_progress": 2, "not_started": 3, "overdue": 0, "ongoing": 1}
    assert result.change("overdue") == "tăng 1 nhiệm vụ so với Quý I/2026"
    assert result.change("in_progress") == "tăng 2 nhiệm vụ so với Quý I/2026"
    assert result.change("done") == "không đổi so với Quý I/2026"
    assert result.change("not_started") == "giảm 2 nhiệm vụ so với Quý I/2026"
    # Quarter II's own view: only task 3 falls due in it, in progress and not yet overdue on 30/06.
    assert (result.quarter_label, result.quarter_counts.total, result.quarter_counts.in_progress,
            result.quarter_counts.overdue) == ("Quý II/2026", 1, 1, 0)
    with db.read() as s:
        q1 = gather(s, s.get(Plan, plan_id), "2026-Q1", TODAY, lists=False)
    assert (q1.quarter_counts.total, q1.quarter_counts.done_on_time, q1.quarter_counts.in_progress) == (2, 1, 1)


@pytest.mark.parametrize("as_of", [date(2026, 3, 31), date(2026, 6, 30), date(2026, 7, 1), None])
def test_every_number_lists_exactly_the_tasks_it_counts(story, as_of):
    db, plan_id = story
    with db.read() as s:
        plan = s.get(Plan, plan_id)
        counts = plan_rollup(s, plan, as_of).as_dict()
        for key in COUNT_KEYS:
            assert len(tasks_behind(s, plan, key, as_of)) == counts[key], key
        if as_of == date(2026, 6, 30):
            assert [t["stt"] for t in tasks_behind(s, plan, "overdue", as_of)] == ["1"]
            assert [t["stt"] for t in tasks_behind(s, plan, "done_late", as_of)] == ["2"]
            assert {t["stt"] for t in tasks_behind(s, plan, "in_progress", as_of)} == {"1", "3", "5", "6"}


def test_overdue_board_as_of_a_day_with_bands_and_filters(story):
    db, plan_id = story
    with db.read() as s:
        plan = s.get(Plan, plan_id)
        board = overdue_board(s, plan, date(2026, 6, 30), TODAY)
        assert board.total == 1
        row = board.rows[0]
        assert (row["stt"], row["agency"], row["days"], row["band"], row["delay_reason"]) == (
            "1", "Sở Tài chính", 91, "Quá hạn 91–120 ngày", "Phải làm lại theo góp ý")
        assert board.bands == {"Quá hạn trên 120 ngày": 0, "Quá hạn 91–120 ngày": 1, "Quá hạn 31–90 ngày": 0,
                               "Quá hạn đến 30 ngày": 0}
        other = s.scalar(select(Agency.id).where(Agency.name == "Sở Y tế"))
        assert overdue_board(s, plan, date(2026, 6, 30), TODAY, agency_id=other).total == 0
        soon = overdue_board(s, plan, date(2026, 6, 20), TODAY, "due_soon")
        # Due within 14 days of 20/06: task 3 (30/06), whose own part is done; its sub-item is not.
        assert [(r["stt"], r["days"]) for r in soon.rows] == [("3.1", 10)]


@pytest.mark.parametrize("short_list", [1000, 0])
def test_the_list_behind_a_number_says_how_late_when_last_updated_why_and_what_it_opens(story, monkeypatch,
                                                                                    short_list):
    """Issue 15: the click-through list shows days late, the last update and the reason, and each
    row names the part a click opens (the agency's own in an agency's list); the same with a list
    too long to name its tasks by id (they are named by a query instead)."""
    monkeypatch.setattr("services.reporting.dashboard.SHORT_LIST", short_list)
    db, plan_id = story
    with db.read() as s:
        plan = s.get(Plan, plan_id)
        def part(stt, agency=None):
            query = select(Assignment.id, Assignment.agency_id).join(Task).where(Task.plan_id == plan_id, Task.stt == stt)
            if agency:
                query = query.join(Agency, Agency.id == Assignment.agency_id).where(Agency.name == agency)
            return s.execute(query.order_by(Assignment.id)).first()
        task_1 = s.scalar(select(Task.id).where(Task.plan_id == plan_id, Task.stt == "1"))
        [late] = tasks_behind(s, plan, "overdue", date(2026, 6, 30))
        assert (late["stt"], late["days_late"], late["last_update"], late["reason"]) == (
            "1", 91, "05/05/2026 09:00", "Phải làm lại theo góp ý")
        assert late["row_id"] == f"{task_1}-{part('1').id}"
        assert part_agency(s, plan, part("1").id) == part("1").agency_id
        on_time = {r["stt"]: r for r in tasks_behind(s, plan, "total", date(2026, 3, 31))}
        assert on_time["1"]["days_late"] is None and on_time["2"]["days_late"] is None  # 2 not yet late on 31/03
        assert on_time["1"]["reason"] == "Phải làm lại theo góp ý"  # today's reason (the change log keeps older)
        # A task shared by six communes, one started: its row opens a part not done, the first in name order.
        shared = next(r for r in tasks_behind(s, plan, "in_progress", date(2026, 6, 30)) if r["stt"] == "5")
        communes = s.execute(select(Assignment.id, Agency.name).join(Task).join(Agency, Agency.id == Assignment.agency_id)
                             .where(Task.plan_id == plan_id, Task.stt == "5").order_by(Agency.name)).all()
        assert len(communes) == 6 and shared["row_id"].endswith(f"-{communes[0].id}")
        # An agency's own list: its part opens, with its own reason.
        finance = part("1").agency_id
        [own] = tasks_behind(s, plan, "overdue", date(2026, 6, 30), agency_id=finance)
        assert own["row_id"] == late["row_id"] and own["reason"] == "Phải làm lại theo góp ý"
        assert part_agency(s, plan, 10**6) is None


def test_the_age_bands_filter_the_board_and_keep_every_bands_count(story):
    db, plan_id = story
    with db.read() as s:
        plan = s.get(Plan, plan_id)
        everything = overdue_board(s, plan, date(2026, 6, 30), TODAY)
        for index, (_, label) in enumerate(OVERDUE_BANDS):
            board = overdue_board(s, plan, date(2026, 6, 30), TODAY, band=index)
            assert board.bands == everything.bands and board.every_band == everything.total == 1
            assert board.total == everything.bands[label] == len(board.rows)
            assert all(row["band"] == label for row in board.rows)
        assert overdue_board(s, plan, date(2026, 6, 30), TODAY, band=1).rows[0]["agency_id"] == \
            s.scalar(select(Agency.id).where(Agency.name == "Sở Tài chính"))
        assert overdue_board(s, plan, date(2026, 6, 30), TODAY, band=99).total == 1  # no such band: all


@pytest.mark.parametrize("days, band", [(1, "Quá hạn đến 30 ngày"), (30, "Quá hạn đến 30 ngày"),
                                        (31, "Quá hạn 31–90 ngày"), (90, "Quá hạn 31–90 ngày"),
                                        (91, "Quá hạn 91–120 ngày"), (120, "Quá hạn 91–120 ngày"),
                                        (121, "Quá hạn trên 120 ngày")])
def test_overdue_bands(days, band):
    assert overdue_band(days) == band


def test_agency_table_and_on_time_rate(story):
    db, plan_id = story
    with db.read() as s:
        rows = {r["name"]: r for r in agency_table(s, s.get(Plan, plan_id), date(2026, 6, 30))}
    assert (rows["Sở Y tế"]["done_late"], rows["Sở Y tế"]["on_time_rate"]) == (1, 0.0)
    assert (rows["Sở Tài chính"]["overdue"], rows["Sở Tài chính"]["last_update"]) == (1, "05/05/2026 09:00")
    assert rows["Sở Nội vụ"]["on_time_rate"] == 100.0 and rows["Công an tỉnh"]["on_time_rate"] is None


def test_compliance_matrix(story):
    db, plan_id = story
    with db.write() as s:
        plan = s.get(Plan, plan_id)
        secretariat = actor_from_user(s.scalar(select(User).where(User.username == "tgv")))
        finance = s.scalar(select(Agency.id).where(Agency.name == "Sở Tài chính"))
        submit_report(s, secretariat, plan, finance, datetime(2026, 1, 15, 10))
        submit_report(s, secretariat, plan, finance, datetime(2026, 2, 25, 10))
    with db.read() as s:
        result = compliance(s, s.get(Plan, plan_id), date(2026, 3, 10))
    assert [p.key for p in result.periods] == ["2026-01", "2026-02", "2026-03"]
    rows = {r["name"]: r for r in result.rows}
    assert [rows["Sở Tài chính"][k] for k in ("2026-01", "2026-02", "2026-03")] == [
        "Đúng hạn", "Nộp muộn", "Chưa đến hạn"]
    assert rows["Sở Tài chính"]["on_time_rate"] == 50.0
    assert [rows["Sở Y tế"][k] for k in ("2026-01", "2026-02")] == ["Chưa nộp", "Chưa nộp"]
    assert rows["Sở Y tế"]["on_time_rate"] == 0.0


@pytest.mark.parametrize("key, label, day, previous", [
    ("2026-Q2", "Quý II/2026", date(2026, 6, 30), "Quý I/2026"),
    ("2026-06", "Tháng 6/2026", date(2026, 6, 30), "Tháng 5/2026"),
    ("2026-H1", "6 tháng đầu năm 2026", date(2026, 6, 30), "6 tháng cuối năm 2025"),
    ("2026", "Năm 2026", date(2026, 12, 31), "Năm 2025"),
    ("2026-05-15", "ngày 15/05/2026", date(2026, 5, 15), "cuối Tháng 4/2026"),
])
def test_selection_keys(key, label, day, previous):
    selection = selection_for(key)
    assert (selection.label, selection.day, selection.previous_label) == (label, day, previous)


@pytest.mark.parametrize("key", ["2026-Q5", "2026-02-30", "hôm nay", ""])
def test_bad_selection_keys(key):
    with pytest.raises(InvalidPeriod):
        selection_for(key)


def test_export_read_back_cell_by_cell(story):
    db, plan_id = story
    with db.read() as s:
        plan = s.get(Plan, plan_id)
        data, _ = report_file(s, plan, "2026-Q2", TODAY, "xlsx")
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == ["Tổng hợp", "Phụ lục nhiệm vụ", "Phụ lục mục tiêu", "Quá hạn", "Theo đơn vị"]
    summary = book["Tổng hợp"]
    assert summary["A1"].value == "Rollup"
    assert summary["A2"].value == "Tình hình thực hiện Quý II/2026"
    assert summary["A3"].value == ("Đã hoàn thành: 01/06 nhiệm vụ. Đang thực hiện: 04/06 nhiệm vụ. "
                                   "Chưa thực hiện: 01/06 nhiệm vụ.")
    assert [[c.value for c in row] for row in summary.iter_rows(min_row=4, max_row=12)] == [
        ["Nội dung", "Số lượng"], ["Tổng số nhiệm vụ", 6], ["Đã hoàn thành", 1], ["Hoàn thành đúng hạn", 0],
        ["Hoàn thành quá hạn", 1], ["Đang thực hiện", 4], ["Chưa thực hiện", 1], ["Quá hạn", 1],
        ["Thực hiện thường xuyên", 1]]
    appendix = book["Phụ lục nhiệm vụ"]
    assert [c.value for c in appendix[1]] == ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn", "Tình trạng",
                                             "Kết quả/Lý do"]
    assert [c.value for c in appendix[2]][:2] == ["I", "Nhóm một"] and appendix["A2"].font.bold
    assert [c.value for c in appendix[3]] == ["1", "Đúng hạn", "Sở Tài chính", "Quý I/2026", "Đang thực hiện",
                                             "Phải làm lại theo góp ý"]
    assert [c.value for c in appendix[4]] == ["2", "Trễ hạn", "Sở Y tế", "Quý I/2026", "Đã hoàn thành",
                                             "QĐ 5/QĐ-UBND"]
    assert appendix.column_dimensions["B"].width == 55 and appendix["B3"].alignment.wrap_text
    assert appendix.print_title_rows == "$1:$1" and appendix.page_setup.orientation == "landscape"
    overdue = book["Quá hạn"]
    assert [c.value for c in overdue[2]] == ["1", "Đúng hạn", "Sở Tài chính", "Quý I/2026", "31/03/2026", 91,
                                            "Quá hạn 91–120 ngày", "05/05/2026 09:00", "Phải làm lại theo góp ý"]
    assert overdue.max_row == 2
    agencies = {row[0].value: [c.value for c in row] for row in book["Theo đơn vị"].iter_rows(min_row=2)}
    assert agencies["Sở Tài chính"] == ["Sở Tài chính", 1, 0, 1, 0, 1, 0, "05/05/2026 09:00"]


@pytest.mark.parametrize("effective, owed, rate", [("01/05/2026", 4, 25.0), ("25/05/2026", 5, 20.0)])
def test_a_withdrawn_task_owes_no_report_from_its_period_on(demo_db, monkeypatch, effective, owed, rate):
    """The agency leading only STT 13 owes the monthly reports due (on the 20th) while the task
    counted: withdrawn on 01/05, none from May on; on 25/05, after May's deadline, May's still.
    Earlier periods and its on-time rate keep what it did then. It leaves today's agency pickers."""
    from services.common import queries
    from services.common.queries import plan_agencies
    from services.plans.editing import withdraw_task
    from services.tasks.workspace import agency_options

    monkeypatch.setattr(queries, "today", lambda: TODAY)
    with demo_db.write() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        task = s.scalar(select(Task).where(Task.plan_id == plan.id, Task.stt == "13"))
        (union,) = {a.agency_id for a in task.assignments}
        assert s.scalar(select(func.count(Assignment.id)).join(Task).where(
            Task.plan_id == plan.id, Assignment.agency_id == union)) == 1  # it leads that task only
        secretariat = actor_from_user(s.scalar(select(User).where(User.username == "tgv")))
        submit_report(s, secretariat, plan, union, datetime(2026, 2, 10, 10))
    months = [f"2026-{m:02d}" for m in range(1, 12)]

    def union_row():
        with demo_db.read() as s:
            plan = s.scalar(select(Plan).order_by(Plan.id))
            row = next(r for r in compliance(s, plan, date(2026, 11, 25)).rows if r["id"] == union)
            return [row[k] for k in months], row["on_time_rate"]

    assert union_row() == (["Chưa nộp", "Đúng hạn", *["Chưa nộp"] * 9], 9.1)
    with demo_db.write() as s:
        task = s.scalar(select(Task).where(Task.plan_id == plan.id, Task.stt == "13"))
        result = withdraw_task(s, secretariat, task.id, task.version, {
            "reason": "Nội dung đã được thực hiện trong Đề án 06", "decision": "Thông báo số 45/TB-UBND",
            "decided_on": "01/05/2026", "effective_on": effective}, when=datetime(2026, 5, 26, 9))
        assert result.outcome is Outcome.SAVED, result
    assert union_row() == (["Chưa nộp", "Đúng hạn", *["Chưa nộp"] * (owed - 2), *["Không phải nộp"] * (11 - owed)],
                           rate)
    with demo_db.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        tgv = actor_from_user(s.scalar(select(User).where(User.username == "tgv")))
        assert union in dict(plan_agencies(s, plan, date(2026, 4, 30)))
        assert union not in dict(plan_agencies(s, plan))  # the overdue board's filter, today
        assert union not in {o["value"] for o in agency_options(s, tgv, plan)}
        assert len(plan_agencies(s, plan)) == len(plan_agencies(s, plan, date(2026, 4, 30))) - 1
