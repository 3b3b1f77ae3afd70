"""Reminders (issue 16): the rules at their edges on the demo plan, exactly once (twice in a row,
two runs at once), the command line, and the bell and page callbacks in the role matrix."""
from __future__ import annotations

import json
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, update

from models import (
    Agency,
    Assignment,
    ChangeLog,
    Database,
    Indicator,
    IndicatorAgency,
    IndicatorValue,
    Plan,
    Reminder,
    Task,
    User,
)
from services.common.saving import Outcome
from services.indicators.updates import save_value
from services.reminders import rules
from services.reminders.job import run_reminders
from services.reminders.rules import KINDS, REPORT_DUE_DAYS
from services.reporting.rollup import assignments_counted
from services.tasks.history import apply_assignment_change
from services.tasks.review import pending_now
from services.tasks.submissions import submit_report
from tests.conftest import make_app
from tests.test_accounts import logged_in, response_of
from tests.test_plans import two_provinces  # noqa: F401  (fixture)
from web.auth import actor_from_user

READ_ALL = "reminders-read-all.n_clicks"
EMAIL = "reminders-email.value"
READ_ONE = '{"reminder":["ALL"],"type":"reminders-read"}.n_clicks'
WRITES = [READ_ONE, READ_ALL, EMAIL]
BELL = "shell-reminders-changed.data"
LOAD = "reminders-ready.data"


def assignment_of(session, stt: str, code: str = "so-khcn") -> Assignment:
    return session.scalar(select(Assignment).join(Task).join(Agency, Agency.id == Assignment.agency_id)
                          .where(Task.stt == stt, Task.parent_id.is_(None), Agency.code == code))


def preview(db: Database, day: date) -> list[dict]:
    return run_reminders(db, day, dry_run=True).reminders


def about(items: list[dict], subject_id: int, *kinds: str) -> list[dict]:
    return [item for item in items if (item["subject_type"], item["subject_id"]) == ("assignment", subject_id)
            and (not kinds or item["kind"] in kinds)]


def users_of(db: Database, code: str) -> set[str]:
    with db.read() as s:
        return set(s.scalars(select(User.username).join(Agency, Agency.id == User.agency_id)
                             .where(Agency.code == code, User.active.is_(True))))


def stored(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(Reminder.id)))


# ---- The rules at their edges ------------------------------------------------------------------------

def test_due_soon_is_the_window_both_ends_included_and_then_overdue(demo_db):
    with demo_db.read() as s:
        part_id = assignment_of(s, "5").id  # Quý II/2026: due 30/06/2026; the plan's window is 14 days
        assert s.scalar(select(Plan.due_soon_days)) == 14
    outside = preview(demo_db, date(2026, 6, 15))  # 15 days ahead
    assert about(outside, part_id) == []
    first = about(preview(demo_db, date(2026, 6, 16)), part_id)  # exactly 14 days ahead
    assert {item["kind"] for item in first} == {"due_soon"} and {item["user"] for item in first} == users_of(
        demo_db, "so-khcn")
    assert first[0]["period_key"] == "2026-06-30" and "còn 14 ngày" in first[0]["title"]
    due_today = about(preview(demo_db, date(2026, 6, 30)), part_id)
    assert [item["kind"] for item in due_today] == ["due_soon"] and "còn hôm nay" in due_today[0]["title"]
    late = about(preview(demo_db, date(2026, 7, 1)), part_id)
    assert [item["kind"] for item in late] == ["overdue_new"] and late[0]["title"].startswith("Nhiệm vụ 5 đã quá hạn")
    weekly = about(preview(demo_db, date(2026, 7, 8)), part_id)  # 8 days late: weekly, with the days
    assert [item["kind"] for item in weekly] == ["overdue_weekly"] and "vẫn quá hạn 8 ngày" in weekly[0]["title"]
    assert weekly[0]["period_key"] == "2026-W28"


def test_ongoing_tasks_are_never_due_nor_overdue(demo_db):
    with demo_db.read() as s:
        ongoing = set(s.scalars(select(Assignment.id).join(Task).where(Task.deadline_kind == "ongoing")))
    assert ongoing
    for day in (date(2026, 4, 1), date(2026, 12, 20), date(2027, 1, 5)):
        task_kinds = [item for item in preview(demo_db, day) if item["subject_type"] == "assignment"]
        assert task_kinds and not [item for item in task_kinds if item["subject_id"] in ongoing], day


def test_a_done_task_is_never_reminded(demo_db):
    with demo_db.write() as s:
        part = assignment_of(s, "4")  # Quý I/2026, Sở KH&CN only
        when = datetime(2026, 3, 10, 9)
        apply_assignment_change(s, part, {"status": "done", "progress": 100, "completed_on": date(2026, 3, 10),
                                          "result": "Quyết định số 1/QĐ-UBND"}, when=when, recorded_at=when,
                                user_id=None)
        done_id, other_id = part.id, assignment_of(s, "17").id  # 17: Quý I/2026, still open
    for day in (date(2026, 3, 20), date(2026, 4, 1), date(2026, 5, 1)):
        items = preview(demo_db, day)
        assert about(items, done_id) == [], day
        assert about(items, other_id), day  # the same deadline, not done: reminded (due soon, then overdue)


def test_a_returned_completion_is_reminded_once_per_return(demo_db):
    with demo_db.write() as s:
        part = assignment_of(s, "6")
        part_id = part.id
        s.execute(update(Assignment).where(Assignment.id == part_id).values(
            status="done", review_state="returned", reviewed_at=datetime(2026, 4, 2, 10, 30),
            review_comment="Thiếu số, ngày văn bản"))
    assert about(preview(demo_db, date(2026, 4, 1)), part_id, "returned") == []  # not returned yet that day
    first = run_reminders(demo_db, date(2026, 4, 3))
    returned = about(first.reminders, part_id, "returned")
    assert {item["user"] for item in returned} == users_of(demo_db, "so-khcn")
    assert "trả lại" in returned[0]["title"] and returned[0]["period_key"] == "2026-04-02T10:30:00"
    assert about(run_reminders(demo_db, date(2026, 4, 4)).reminders, part_id, "returned") == []
    with demo_db.write() as s:  # returned again after a new report: a new reminder
        s.execute(update(Assignment).where(Assignment.id == part_id).values(reviewed_at=datetime(2026, 4, 10, 8)))
    assert len(about(run_reminders(demo_db, date(2026, 4, 10)).reminders, part_id, "returned")) == len(returned)


def test_the_report_is_due_three_days_ahead_up_to_the_deadline_day_itself_then_late(demo_db):
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        assert (plan.reporting_cadence, plan.report_deadline_day, REPORT_DUE_DAYS) == ("monthly", 20, 3)
        khcn = s.scalar(select(Agency.id).where(Agency.code == "so-khcn"))

    def report_kinds(day):
        return {(item["kind"], item["period_key"]) for item in preview(demo_db, day)
                if item["kind"] in ("report_due", "report_late") and item["agency"] == "Sở Khoa học và Công nghệ"}

    assert report_kinds(date(2026, 4, 16)) == {("report_late", "2026-03")}  # 4 days before: not yet
    assert report_kinds(date(2026, 4, 17)) == {("report_due", "2026-04"), ("report_late", "2026-03")}
    assert ("report_due", "2026-04") in report_kinds(date(2026, 4, 20))  # the deadline day: still on time
    assert report_kinds(date(2026, 4, 21)) == {("report_late", "2026-04")}
    with demo_db.write() as s:
        actor = actor_from_user(s.scalar(select(User).where(User.username == "so-khcn")))
        submit_report(s, actor, s.scalar(select(Plan)), khcn, datetime(2026, 4, 18, 9))
    assert report_kinds(date(2026, 4, 20)) == {("report_late", "2026-03")}  # submitted for April: no reminder
    assert report_kinds(date(2026, 4, 21)) == set()


def test_summaries_go_to_the_secretariat_weekly_and_to_leaders_monthly(demo_db):
    items = run_reminders(demo_db, date(2026, 4, 1)).reminders
    weekly = [item for item in items if item["kind"] == "secretariat_weekly"]
    monthly = [item for item in items if item["kind"] == "leader_monthly"]
    assert [(item["user"], item["period_key"]) for item in weekly] == [("tgv", "2026-W14")]
    assert [(item["user"], item["period_key"]) for item in monthly] == [("lanhdao", "2026-04")]
    assert "chưa nộp báo cáo" in weekly[0]["title"] and "quá hạn" in monthly[0]["title"]
    assert not [item for item in items if item["user"] == "admin"]
    later = run_reminders(demo_db, date(2026, 4, 3)).reminders  # the same week and month: nothing new
    assert not [item for item in later if item["kind"] in ("secretariat_weekly", "leader_monthly")]


def test_a_target_without_a_value_for_the_period_that_just_ended(demo_db):
    day = date(2026, 5, 4)  # monthly reporting: the period that ended last is April
    with demo_db.read() as s:
        def monitored_by(code):
            return s.scalar(select(Indicator.id).join(IndicatorAgency, IndicatorAgency.indicator_id == Indicator.id)
                            .join(Agency, Agency.id == IndicatorAgency.agency_id)
                            .where(IndicatorAgency.role == "monitor", Agency.code == code).order_by(Indicator.id))
        own, other = monitored_by("so-khcn"), monitored_by("cong-an-tinh")
    khcn = users_of(demo_db, "so-khcn")

    def missing(indicator_id):
        return [(item["user"], item["period_key"]) for item in preview(demo_db, day)
                if item["kind"] == "indicator_missing" and item["subject_id"] == indicator_id]

    assert sorted(missing(own)) == sorted((user, "2026-04") for user in khcn)
    assert not {user for user, _ in missing(other)} & khcn  # another agency's target: not Sở KH&CN's
    assert saved(demo_db, own, "2026-03", "40%") is Outcome.SAVED  # a month before: still missing April
    assert len(missing(own)) == len(khcn)
    assert saved(demo_db, own, "2026-04", "45%") is Outcome.SAVED
    assert missing(own) == []
    # "-" says there is no figure for the period: the target still lacks April's value, so it is
    # reminded again (once: its key is the period).
    assert saved(demo_db, own, "2026-04", "-") is Outcome.SAVED
    assert len(missing(own)) == len(khcn)


def saved(db: Database, indicator_id: int, period: str, text: str):
    with db.write() as s:
        row = s.scalar(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator_id,
                                                    IndicatorValue.period == period))
        actor = actor_from_user(s.scalar(select(User).where(User.username == "so-khcn")))
        return save_value(s, actor, indicator_id, row.version if row else 0, {"period": period, "value": text},
                          when=datetime(2026, 5, 2, 9)).outcome


def test_the_weekly_summary_counts_completions_waiting_by_the_review_queues_rule(demo_db):
    day = date(2026, 4, 1)
    with demo_db.write() as s:
        reported = assignment_of(s, "4")  # reported done, not reviewed: waiting
        when = datetime(2026, 3, 10, 9)
        apply_assignment_change(s, reported, {"status": "done", "progress": 100, "completed_on": date(2026, 3, 10),
                                              "result": "Quyết định số 1/QĐ-UBND"}, when=when, recorded_at=when,
                                user_id=None)
        s.execute(update(Assignment).where(Assignment.id == assignment_of(s, "6").id).values(  # returned: not
            status="done", review_state="returned", reviewed_at=datetime(2026, 3, 20, 10)))
    with demo_db.read() as s:
        waiting = s.scalar(select(func.count(Assignment.id)).join(Task, Task.id == Assignment.task_id)
                           .where(Task.plan_id == s.scalar(select(Plan.id)), pending_now(day)))
    weekly = [item for item in preview(demo_db, day) if item["kind"] == "secretariat_weekly"]
    assert waiting == 1 and weekly[0]["title"].endswith(f"{waiting} hoàn thành chờ xác nhận")


def test_task_reminders_link_to_their_assignments_update_form(demo_db):
    from layouts.tasks import ASSIGNMENT_PARAMETER
    assert rules.ASSIGNMENT_PARAMETER == ASSIGNMENT_PARAMETER  # the workspace opens the form it names
    with demo_db.write() as s:
        s.execute(update(Assignment).where(Assignment.id == assignment_of(s, "6").id).values(
            status="done", review_state="returned", reviewed_at=datetime(2026, 6, 2, 10)))
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        found = {"due_soon": rules.find_due_soon(s, plan, date(2026, 6, 16)),
                 "overdue_new": rules.find_overdue_new(s, plan, date(2026, 7, 1)),
                 "overdue_weekly": rules.find_overdue_weekly(s, plan, date(2026, 7, 20)),
                 "returned": rules.find_returned(s, plan, date(2026, 7, 1))}
        plan_id = plan.id
    for kind, items in found.items():
        assert items, kind
        assert all(item.link == f"/nhiem-vu?phan-cong={item.subject_id}&ke-hoach={plan_id}" for item in items), kind


def test_links_open_pages_of_the_app_with_the_plan():
    from layouts.pages import PAGES
    paths = {page.path for page in PAGES}
    assert {rules.TASKS_PATH, rules.INDICATOR_PATH, rules.OVERVIEW_PATH, rules.OVERDUE_PATH} <= paths
    assert len({kind.key for kind in KINDS}) == len(KINDS)


# ---- Exactly once ----------------------------------------------------------------------------------

def test_a_dry_run_writes_nothing_and_a_second_run_creates_nothing(demo_db):
    dry = run_reminders(demo_db, date(2026, 4, 1), dry_run=True)
    assert dry.created > 0 and stored(demo_db) == 0
    first = run_reminders(demo_db, date(2026, 4, 1))
    assert (first.created, first.by_kind) == (dry.created, dry.by_kind) and stored(demo_db) == first.created
    second = run_reminders(demo_db, date(2026, 4, 1))
    assert (second.created, second.by_kind) == (0, {}) and stored(demo_db) == first.created


def test_two_runs_at_once_create_each_reminder_once(demo_db):
    expected = run_reminders(demo_db, date(2026, 4, 1), dry_run=True).created
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        db = Database(demo_db.url)  # a server of its own: its own engine and sessions
        try:
            barrier.wait()
            results.append(run_reminders(db, date(2026, 4, 1)).created)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results)[0] >= 0 and sum(results) == expected == stored(demo_db)
    with demo_db.read() as s:
        keys = s.execute(select(Reminder.user_id, Reminder.kind, Reminder.subject_type, Reminder.subject_id,
                                Reminder.period_key)).all()
    assert len(keys) == len(set(keys))


# ---- The command line ---------------------------------------------------------------------------------

def run_cli(db, *args):
    return make_app(db).server.test_cli_runner().invoke(args=["send-reminders", *args])


def test_send_reminders_lists_each_agencys_overdue_tasks_of_the_first_quarter(demo_db, monkeypatch):
    monkeypatch.delenv("CDS_SMTP_HOST", raising=False)
    result = run_cli(demo_db, "--as-of", "2026-04-01", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["created"] == sum(data["by_kind"].values()) > 0 and data["emailed"] == 0
    assert data["email_enabled"] is False
    with demo_db.read() as s:
        plan = s.scalar(select(Plan))
        counted = assignments_counted(plan, "overdue", date(2026, 4, 1)).subquery()
        with_users = select(User.agency_id).where(User.role == "agency", User.active.is_(True))
        expected: dict[str, set[int]] = {}
        for name, assignment_id in s.execute(
                select(Agency.name, Assignment.id).join(counted, counted.c.assignment_id == Assignment.id)
                .join(Agency, Agency.id == Assignment.agency_id)
                .where(counted.c.due_date.between(date(2026, 1, 1), date(2026, 3, 31)),
                       Assignment.agency_id.in_(with_users))):
            expected.setdefault(name, set()).add(assignment_id)
        q1 = set(s.scalars(select(Assignment.id).join(Task).where(
            Task.due_date.between(date(2026, 1, 1), date(2026, 3, 31)))))
    listed = {name: {item["subject_id"] for item in items
                     if item["kind"] in ("overdue_new", "overdue_weekly") and item["subject_id"] in q1}
              for name, items in data["by_agency"].items()}
    assert expected and {name: ids for name, ids in listed.items() if ids} == expected
    again = json.loads(run_cli(demo_db, "--as-of", "2026-04-01", "--json").output)
    assert (again["created"], again["by_kind"]) == (0, {})
    words = run_cli(demo_db, "--as-of", "2026-04-02")
    assert words.exit_code == 0 and "Gửi thư: tắt" in words.output


@pytest.mark.parametrize("bad", ["01/04/2026", "2026-13-01", "hôm nay"])
def test_a_bad_date_is_refused_in_vietnamese(demo_db, bad):
    result = run_cli(demo_db, "--as-of", bad)
    assert result.exit_code == 1 and "không đúng dạng YYYY-MM-DD" in result.output and stored(demo_db) == 0


# ---- The bell and the page --------------------------------------------------------------------------

def own(db: Database, username: str) -> list:
    """(id, read_at) of the user's reminders."""
    with db.read() as s:
        return s.execute(select(Reminder.id, Reminder.read_at).join(User, User.id == Reminder.user_id)
                         .where(User.username == username).order_by(Reminder.id)).all()


def page_ids(response) -> set[int]:
    text = json.dumps(response_of(response), ensure_ascii=False)
    return {int(part.split('"')[0]) for part in text.split('"id": "reminders-item-')[1:]}


def read_one_payload(dash, reminder_id) -> dict:
    """What the browser posts when the button of one reminder is clicked."""
    payload = dash.payload(READ_ONE, 1, {"reminders-refresh": 0, "shell-reminders-changed": 0})
    component = {"reminder": reminder_id, "type": "reminders-read"}
    payload["inputs"] = [[{"id": component, "property": "n_clicks", "value": 1}]]
    payload["changedPropIds"] = [json.dumps(component, separators=(",", ":"), sort_keys=True) + ".n_clicks"]
    return payload


def read_marks(db: Database) -> list:
    with db.read() as s:
        return s.execute(select(Reminder.id, Reminder.read_at).order_by(Reminder.id)).all()


@pytest.mark.parametrize("username", ["so-khcn", "tgv", "lanhdao", "admin", "khcn-lc", "lanhdao-lc"])
def test_each_user_sees_and_counts_only_their_own_reminders(app, demo_db, two_provinces, username):  # noqa: F811
    run_reminders(demo_db, date(2026, 4, 1))
    mine = own(demo_db, username)
    dash = logged_in(app, username)
    bell = response_of(dash.call(BELL, 0, {"url": "/"}))
    assert bell["shell-bell"]["aria-label"] == f"Nhắc việc: {len(mine)} chưa đọc"
    assert bell["shell-bell-count"]["children"] == str(len(mine))
    assert page_ids(dash.call(LOAD, True, {"reminders-refresh": 0})) == {r.id for r in mine}
    assert (username in ("so-khcn", "tgv", "lanhdao")) == bool(mine)


@pytest.mark.parametrize("forged", ["OTHER", "999999", "abc", -1, None, {"x": 1}])
def test_forged_reminder_ids_are_refused_and_nothing_changes(app, demo_db, caplog, forged):
    run_reminders(demo_db, date(2026, 4, 1))
    other = own(demo_db, "tgv")[0].id
    before = read_marks(demo_db)
    dash = logged_in(app, "so-khcn")
    response = dash.post(read_one_payload(dash, other if forged == "OTHER" else forged))
    assert response.status_code in (400, 403) and "refused" in caplog.text
    assert read_marks(demo_db) == before


def test_reading_one_or_all_touches_only_the_users_own_rows(app, demo_db):
    run_reminders(demo_db, date(2026, 4, 1))
    mine, others = own(demo_db, "so-khcn"), own(demo_db, "tgv")
    dash = logged_in(app, "so-khcn")
    assert dash.post(read_one_payload(dash, mine[0].id)).status_code == 200
    assert [r.read_at is not None for r in own(demo_db, "so-khcn")] == [True] + [False] * (len(mine) - 1)
    response = response_of(dash.call(READ_ALL, 1, {"reminders-refresh": 0, "shell-reminders-changed": 0}))
    assert f"Đã đánh dấu {len(mine) - 1} nhắc việc" in json.dumps(response, ensure_ascii=False)
    assert all(r.read_at is not None for r in own(demo_db, "so-khcn"))
    assert all(r.read_at is None for r in own(demo_db, "tgv")) and len(others) == len(own(demo_db, "tgv"))
    bell = response_of(dash.call(BELL, 1, {"url": "/nhac-viec"}))
    assert bell["shell-bell"]["aria-label"] == "Nhắc việc: 0 chưa đọc"


def test_turning_the_digest_off_is_the_users_own_choice_and_logged(app, demo_db):
    dash = logged_in(app, "so-khcn")
    response = response_of(dash.call(EMAIL, False))
    assert "Đã tắt nhận thư tổng hợp" in json.dumps(response, ensure_ascii=False)
    assert dash.call(EMAIL, False).status_code == 204  # already off: nothing to do
    assert dash.call(EMAIL, "abc").status_code == 403
    with demo_db.read() as s:
        choices = dict(s.execute(select(User.username, User.email_reminders)).tuples().all())
        logged = s.execute(select(ChangeLog.entity, ChangeLog.field, ChangeLog.old_value, ChangeLog.new_value)
                           .where(ChangeLog.entity == "user", ChangeLog.field == "email_reminders")).all()
    assert choices["so-khcn"] is False and all(v for k, v in choices.items() if k != "so-khcn")
    assert [tuple(row) for row in logged] == [("user", "email_reminders", "True", "False")]


def test_the_page_is_open_to_every_role_and_its_writes_are_declared(app):
    from callbacks.guard import POLICY_REGISTRY
    dash = logged_in(app, "lanhdao")
    policies = app.server.extensions[POLICY_REGISTRY]
    assert all(policies[dash.dependency(trigger)["output"]].writes for trigger in WRITES)
    assert not policies[dash.dependency(BELL)["output"]].writes
