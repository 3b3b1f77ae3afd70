"""Closing a period (chốt số liệu, issue 14 item 2): what is stored, refusing a second close, reopening
with a reason, refusing writes dated inside a closed period (and letting them through once reopened),
the published-vs-live difference after a back-dated change, the previous period's published counts
in comparisons, the overview and the files of a closed period (marked, with the corrections), changes
with no day of their own (a deadline corrected, a target's direction or text) refused while a close
covers what they rewrite, and who may close or reopen."""
import json
import logging
from datetime import date, datetime
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

import services.publication.closing as closing
from models import Assignment, ChangeLog, Indicator, IndicatorValue, PeriodClose, Plan, Task, User
from services.accounts.permissions import NotAllowed
from services.common.saving import Outcome
from services.indicators.achievement import display_value
from services.indicators.importer import import_indicators
from services.indicators.standings import band_counts, standings
from services.indicators.updates import save_value, set_direction
from services.plans.editing import edit_task, extend_deadline, withdraw_task
from services.plans.spreadsheet import ImportFailed
from services.publication.closing import (
    ClosingRefused,
    close_period,
    closed_periods,
    live_difference,
    publication,
    reopen_period,
)
from services.publication.content import gather
from services.publication.report import report_file
from services.reporting.dashboard import tasks_behind
from services.reporting.rollup import plan_rollup
from services.tasks.updates import save_update
from tests.conftest import login
from tests.test_indicator_import import write_csv
from tests.test_plan_editing import EXTENSION, WITHDRAWAL, actor, fingerprint, task_of
from tests.test_province_wall import two_provinces  # noqa: F401  (fixture)
from tests.test_tasks_callbacks import DONE_FORM, logged_in, response_of

ONLINE = "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"  # target 90 %, monitored by Văn phòng UBND tỉnh
FIVE_G = "Tỷ lệ phủ sóng mạng di động băng rộng 5G trên dân số"
CLOSE, REOPEN = "overview-close-confirm.n_clicks", "overview-reopen-confirm.n_clicks"
WRITES = [CLOSE, REOPEN]
LOAD = "overview-period.value"
Q2 = {"overview-kind": "quarter", "overview-period": "2026-Q2", "overview-date": None, "overview-refresh": 0}
CLOSED_ON = datetime(2026, 7, 5, 9)
REASON = "Sở Y tế bổ sung kết quả Quý II"


def plan_of(s) -> Plan:
    return s.scalar(select(Plan).order_by(Plan.id))


def close(db, period="2026-Q2", when=CLOSED_ON, username="tgv"):
    with db.write() as s:
        return close_period(s, actor(s, username), plan_of(s), period, when=when)


def reopen(db, period="2026-Q2", reason=REASON, when=datetime(2026, 7, 20, 9), username="tgv"):
    with db.write() as s:
        return reopen_period(s, actor(s, username), plan_of(s), period, reason, when=when)


def complete(db, agency_code, stt, when):
    """The agency reports its part of task `stt` done on `when`."""
    with db.write() as s:
        assignment = s.scalar(select(Assignment).join(Task).join(User, User.agency_id == Assignment.agency_id)
                              .where(Task.stt == stt, User.username == agency_code))
        form = {k.removeprefix("tasks-form-").replace("-", "_"): v for k, v in DONE_FORM.items()}
        result = save_update(s, actor(s, agency_code), assignment.id, assignment.version,
                             {**form, "completed_on": f"{when:%d/%m/%Y}"}, when=when)
        assert result.outcome is Outcome.SAVED, result


def value(db, period, text, when=datetime(2026, 7, 6, 9)):
    with db.write() as s:
        indicator = s.scalar(select(Indicator).where(Indicator.name.startswith(ONLINE)))
        row = s.scalar(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id,
                                                    IndicatorValue.period == period))
        return save_value(s, actor(s, "tgv"), indicator.id, row.version if row else 0,
                          {"period": period, "value": text}, when=when)


def values_of(db):
    with db.read() as s:
        return s.execute(select(IndicatorValue.period, IndicatorValue.value_text, IndicatorValue.version)
                         .order_by(IndicatorValue.id)).all(), s.scalar(select(func.count(ChangeLog.id)))


def closes_of(db):
    with db.read() as s:
        return s.execute(select(PeriodClose.id, PeriodClose.period, PeriodClose.reopened_at, PeriodClose.version)
                         .order_by(PeriodClose.id)).all()


# ---- Closing stores what the period said -----------------------------------------------------------

def test_closing_stores_the_counts_every_tasks_status_and_every_targets_value_of_that_moment(demo_db):
    complete(demo_db, "so-khcn", "4", datetime(2026, 5, 10, 9))
    assert value(demo_db, "2026-Q2", "81%", when=datetime(2026, 7, 2, 9)).outcome is Outcome.SAVED
    stored = close(demo_db)
    assert (stored.period, stored.period_start, stored.day) == ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30))
    with demo_db.read() as s:
        plan, day = plan_of(s), date(2026, 6, 30)
        published = publication(s, plan, "2026-Q2")
        content = published.content
        assert content.counts == plan_rollup(s, plan, day) and content.counts.done == 1
        assert content.bands == {band.value: n for band, n in band_counts(s, plan, day).items()}
        assert published.summary["counts"] == content.counts.as_dict()
        statuses = {row["id"]: row["status"] for row in tasks_behind(s, plan, "total", day)}
        assert {line.task_id: line.status for line in content.tasks if line.parent_id is None} == statuses
        assert len(statuses) == content.counts.total == 92
        assert [(line.indicator_id, line.value_text) for line in content.targets] == [
            (st.indicator.id, display_value(st.value.value_text, st.value.is_estimate) if st.value else "")
            for st in standings(s, plan, day)]
        assert ("81%" in [line.value_text for line in content.targets])
        assert published.banner == ("Số liệu đã chốt ngày 05/07/2026 "
                                    "(người chốt: Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ)).")
        assert live_difference(s, plan, published) == []
        log = s.scalar(select(ChangeLog).where(ChangeLog.entity == "plan", ChangeLog.field == "period_closed"))
        tgv = s.scalar(select(User.id).where(User.username == "tgv"))
        assert (log.entity_id, log.new_value, log.user_id, log.occurred_at) == (plan.id, "2026-Q2", tgv, CLOSED_ON)


def test_a_running_period_is_closed_as_of_the_closing_day(demo_db):
    stored = close(demo_db, "2026-Q4", when=datetime(2026, 11, 25, 16))
    assert stored.day == date(2026, 11, 25)
    with demo_db.read() as s:
        content = publication(s, plan_of(s), "2026-Q4").content
        assert content.day == date(2026, 11, 25) and not content.period_ended


def test_closing_twice_a_day_or_a_period_not_begun_is_refused(demo_db):
    close(demo_db)
    before = closes_of(demo_db)
    with pytest.raises(ClosingRefused, match=r"Quý II/2026 đã được chốt ngày 05/07/2026 09:00 \(người chốt: Tổ giúp"):
        close(demo_db, when=datetime(2026, 7, 6, 9))
    for day in ("2026-05-15", "15/05/2026"):
        with pytest.raises(ClosingRefused, match="không chốt theo một ngày"):
            close(demo_db, day)
    with pytest.raises(ClosingRefused, match="không hợp lệ"):
        close(demo_db, "Quý V")
    with pytest.raises(ClosingRefused, match="Quý IV/2026 chưa bắt đầu"):
        close(demo_db, "2026-Q4", when=datetime(2026, 9, 1))
    assert closes_of(demo_db) == before


def test_a_period_is_closed_by_its_label_too(demo_db):
    stored = close(demo_db, "Quý I/2026", when=datetime(2026, 4, 2, 9))  # ten characters, not a day
    assert (stored.period, stored.day) == ("2026-Q1", date(2026, 3, 31))
    assert reopen(demo_db, "Quý I/2026").reopened_at is not None


def test_two_closes_at_once_the_unique_index_refuses_the_second_with_the_same_message(demo_db, monkeypatch):
    close(demo_db)
    calls, real = [], closing.open_close

    def misses_once(*args):  # the second secretary's check ran before the first one's row was written
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(closing, "open_close", misses_once)
    with pytest.raises(ClosingRefused, match=r"Quý II/2026 đã được chốt ngày 05/07/2026 09:00"):
        close(demo_db, when=datetime(2026, 7, 6, 9))
    assert len(closes_of(demo_db)) == 1


# ---- Reopening ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", [None, "", "   ", 5, "x" * 2001, "\ud800"])
def test_reopening_needs_a_reason(demo_db, reason):
    close(demo_db)
    before = closes_of(demo_db)
    with pytest.raises(ClosingRefused, match="lý do|Lý do"):
        reopen(demo_db, reason=reason)
    assert closes_of(demo_db) == before


def test_reopening_is_logged_and_the_period_may_be_closed_again(demo_db):
    with pytest.raises(ClosingRefused, match="chưa chốt"):
        reopen(demo_db)
    close(demo_db)
    reopened = reopen(demo_db)
    assert (reopened.reopened_at, reopened.reopen_reason) == (datetime(2026, 7, 20, 9), REASON)
    close(demo_db, when=datetime(2026, 7, 21, 9))
    with demo_db.read() as s:
        plan = plan_of(s)
        tgv = s.scalar(select(User.id).where(User.username == "tgv"))
        logs = s.execute(select(ChangeLog.field, ChangeLog.new_value, ChangeLog.user_id, ChangeLog.occurred_at)
                         .where(ChangeLog.entity == "plan", ChangeLog.entity_id == plan.id)
                         .order_by(ChangeLog.id)).all()
        assert [tuple(log) for log in logs] == [
            ("period_closed", "2026-Q2", tgv, CLOSED_ON),
            ("period_reopened", f"2026-Q2: {REASON}", tgv, datetime(2026, 7, 20, 9)),
            ("period_closed", "2026-Q2", tgv, datetime(2026, 7, 21, 9)),
        ]
        listed = closed_periods(s, plan)
        assert [(r["period"], r["state"], r["reason"]) for r in listed] == [
            ("Quý II/2026", "Đang chốt", ""), ("Quý II/2026", "Đã mở lại", REASON)]
        assert listed[1]["reopened"].startswith("20/07/2026 09:00 — Tổ giúp việc")
        assert publication(s, plan, "2026-Q2").closed_at == datetime(2026, 7, 21, 9)


def test_only_the_provinces_secretariat_closes_and_reopens(demo_db, two_provinces):  # noqa: F811
    close(demo_db)
    before = closes_of(demo_db)
    for username in ("lanhdao", "admin", "so-khcn", "tgv-lc", "admin-all"):
        with pytest.raises(NotAllowed):
            close(demo_db, "2026-Q1", username=username)
        with pytest.raises(NotAllowed):
            reopen(demo_db, username=username)
    assert closes_of(demo_db) == before


# ---- Writes dated inside a closed period -------------------------------------------------------------

def test_a_value_for_a_closed_period_is_refused_until_it_is_reopened(demo_db):
    close(demo_db)
    before = values_of(demo_db)
    for period in ("2026-Q2", "2026-05"):
        refused = value(demo_db, period, "81%")
        assert refused.outcome is Outcome.INVALID
        assert refused.message.startswith("Số liệu Quý II/2026 đã chốt ngày 05/07/2026") and \
            "mở lại kỳ" in refused.errors["period"]
    assert values_of(demo_db) == before
    assert value(demo_db, "2026-07", "81%").outcome is Outcome.SAVED  # after the closed period
    reopen(demo_db)
    assert value(demo_db, "2026-Q2", "81%").outcome is Outcome.SAVED


def test_an_extension_effective_inside_a_closed_period_is_refused_until_it_is_reopened(demo_db):
    close(demo_db)
    before = fingerprint(demo_db)
    with demo_db.write() as s:
        task = task_of(s, "4")
        refused = extend_deadline(s, actor(s, "tgv"), task.id, task.version, EXTENSION, when=datetime(2026, 7, 6))
    assert refused.outcome is Outcome.INVALID and "Số liệu Quý II/2026 đã chốt" in refused.errors["effective_on"]
    assert fingerprint(demo_db) == before
    reopen(demo_db)
    with demo_db.write() as s:
        task = task_of(s, "4")
        saved = extend_deadline(s, actor(s, "tgv"), task.id, task.version, EXTENSION, when=datetime(2026, 7, 21))
    assert saved.outcome is Outcome.SAVED


def test_an_import_with_a_value_for_a_closed_period_changes_nothing_and_names_the_row(demo_db, tmp_path):
    close(demo_db)
    before = values_of(demo_db)
    path = write_csv(tmp_path / "q2.csv", ["STT", "Tên mục tiêu", "Kỳ báo cáo", "Kết quả"],
                     [["9", ONLINE, "Quý III/2026", "85%"], ["1", FIVE_G, "Quý II/2026", "49%"]])
    with pytest.raises(ImportFailed) as refused, demo_db.write() as s:
        import_indicators(s, plan_of(s), path)
    message = str(refused.value)
    assert "Số liệu Quý II/2026 đã chốt ngày 05/07/2026" in message
    assert "Dòng 3: kết quả Quý II/2026 thuộc kỳ đã chốt số liệu" in message and "Dòng 2" not in message
    assert values_of(demo_db) == before
    reopen(demo_db)
    with demo_db.write() as s:
        assert import_indicators(s, plan_of(s), path).values == 2


# ---- Published versus live ---------------------------------------------------------------------------

def test_a_back_dated_change_before_the_period_shows_as_a_difference_and_the_published_figures_stay(demo_db):
    complete(demo_db, "so-khcn", "4", datetime(2026, 5, 10, 9))
    close(demo_db)
    with demo_db.write() as s:  # effective in March, before the closed quarter: allowed
        task = task_of(s, "4")
        withdrawn = withdraw_task(s, actor(s, "tgv"), task.id, task.version,
                                  {**WITHDRAWAL, "decided_on": "10/03/2026", "effective_on": "15/03/2026"},
                                  when=datetime(2026, 7, 10, 9))
        assert withdrawn.outcome is Outcome.SAVED, withdrawn
    with demo_db.read() as s:
        plan = plan_of(s)
        published = publication(s, plan, "2026-Q2")
        assert (published.content.counts.total, published.content.counts.done) == (92, 1)
        live = plan_rollup(s, plan, date(2026, 6, 30))
        assert (live.total, live.done) == (91, 0)
        differences = live_difference(s, plan, published)
        assert "Tổng số nhiệm vụ: 91 (số đã chốt: 92)" in differences
        assert "Đã hoàn thành: 00 (số đã chốt: 01)" in differences


def test_the_previous_period_is_compared_by_its_published_counts(demo_db):
    close(demo_db, "2026-Q1", when=datetime(2026, 3, 15, 17))  # closed before its end: figures of 15/03
    complete(demo_db, "so-khcn", "4", datetime(2026, 3, 20, 9))  # after the figures' day: allowed
    with demo_db.read() as s:
        plan = plan_of(s)
        assert plan_rollup(s, plan, date(2026, 3, 31)).done == 1
        content = gather(s, plan, "2026-Q2", date(2026, 11, 25))
        assert content.previous_counts.done == 0 and content.previous_published_on == date(2026, 3, 15)
        assert content.change("done") == "tăng 1 nhiệm vụ so với Quý I/2026 (số liệu đã chốt)"


# ---- The overview ------------------------------------------------------------------------------------

def test_the_overview_of_a_closed_period_shows_the_published_figures_and_the_banner(app, demo_db):
    complete(demo_db, "so-khcn", "4", datetime(2026, 5, 10, 9))
    close(demo_db)
    with demo_db.write() as s:
        task = task_of(s, "4")
        withdraw_task(s, actor(s, "tgv"), task.id, task.version,
                      {**WITHDRAWAL, "decided_on": "10/03/2026", "effective_on": "15/03/2026"},
                      when=datetime(2026, 7, 10, 9))
    leader = logged_in(app, "lanhdao")
    body = response_of(leader.call(LOAD, "2026-Q2", Q2, output="overview-sentence"))
    assert body["overview-sentence"]["children"].startswith(
        "Tính đến Quý II/2026 (30/06/2026): Đã hoàn thành: 01/92 nhiệm vụ.")
    assert "01/92" in json.dumps(body["overview-tiles"]["children"])
    banner = json.dumps(body["overview-banner"]["children"], ensure_ascii=False)
    assert "Số liệu đã chốt ngày 05/07/2026 (người chốt: Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ))." in banner
    assert "Số liệu tính lại theo lịch sử hiện nay khác số đã chốt: " in banner
    assert "Tổng số nhiệm vụ: 91 (số đã chốt: 92)" in banner
    assert sum(row["total"] for row in body["overview-sections"]["rowData"]) == 92
    charts = response_of(leader.call(LOAD, "2026-Q2", Q2, output="overview-donut"))
    assert charts["overview-donut"]["figure"]["data"][0]["values"][0] == 1
    assert body["overview-close-open"]["style"] == body["overview-reopen-open"]["style"] == {"display": "none"}
    assert body["overview-closed"]["rowData"][0]["period"] == "Quý II/2026"
    assert body["overview-review"]["children"].startswith("Theo báo cáo của đơn vị: 01 nhiệm vụ hoàn thành;")
    secretariat = response_of(logged_in(app, "tgv").call(LOAD, "2026-Q2", Q2, output="overview-sentence"))
    assert secretariat["overview-reopen-open"]["style"] != {"display": "none"}
    assert secretariat["overview-close-open"]["style"] == {"display": "none"}
    open_q3 = response_of(logged_in(app, "tgv").call(LOAD, "2026-Q3", {**Q2, "overview-period": "2026-Q3"},
                                                      output="overview-sentence"))
    assert open_q3["overview-close-open"]["children"] == "Chốt số liệu Quý III/2026"
    assert open_q3["overview-banner"]["children"] is None


def test_the_tiles_of_a_closed_period_list_the_published_tasks(app, demo_db):
    from tests.test_overview_callbacks import drill_payload

    complete(demo_db, "so-khcn", "4", datetime(2026, 5, 10, 9))
    close(demo_db)
    with demo_db.write() as s:  # the task leaves the live figures of 30/06, not the published ones
        task = task_of(s, "4")
        withdraw_task(s, actor(s, "tgv"), task.id, task.version,
                      {**WITHDRAWAL, "decided_on": "10/03/2026", "effective_on": "15/03/2026"},
                      when=datetime(2026, 7, 10, 9))
    dash = logged_in(app, "lanhdao")
    body = response_of(dash.post(drill_payload(dash, "plan", "done")))
    assert [row["stt"] for row in body["overview-drill"]["rowData"]] == ["4"]
    assert body["overview-drill-title"]["children"] == \
        "Đã hoàn thành — toàn kế hoạch (tính đến Quý II/2026 — số đã chốt): 1 nhiệm vụ"


def test_the_secretariat_closes_and_reopens_through_the_page(app, demo_db):
    dash = logged_in(app, "tgv")
    closed = response_of(dash.call(CLOSE, 1, Q2))
    assert "Đã chốt số liệu Quý II/2026 (số liệu đến ngày 30/06/2026)." in json.dumps(
        closed["overview-close-alert"]["children"], ensure_ascii=False)
    assert closed["overview-refresh"]["data"] == 1
    again = response_of(dash.call(CLOSE, 1, Q2))
    assert "đã được chốt ngày" in json.dumps(again["overview-close-alert"]["children"], ensure_ascii=False)
    missing = response_of(dash.call(REOPEN, 1, {**Q2, "overview-reopen-reason": "  "}))
    assert missing["overview-reopen-modal"]["is_open"] is True
    assert "Nhập lý do mở lại kỳ" in json.dumps(missing["overview-reopen-alert"]["children"], ensure_ascii=False)
    assert closes_of(demo_db)[0].reopened_at is None
    done = response_of(dash.call(REOPEN, 1, {**Q2, "overview-reopen-reason": REASON}))
    assert done["overview-reopen-modal"]["is_open"] is False and done["overview-refresh"]["data"] == 1
    assert closes_of(demo_db)[0].reopened_at is not None


@pytest.mark.parametrize("username", ["so-khcn", "lanhdao", "admin", "khcn-lc", "tgv-lc"])
def test_agencies_leaders_admins_and_other_provinces_get_403_on_close_and_reopen(app, demo_db, two_provinces,  # noqa: F811
                                                                                 username, caplog):
    close(demo_db)
    before = closes_of(demo_db)
    with demo_db.read() as s:
        lao_cai = f"?ke-hoach={plan_of(s).id}"
    dash = logged_in(app, username)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        for trigger, period in ((CLOSE, "2026-Q3"), (REOPEN, "2026-Q2")):
            response = dash.call(trigger, 1, {**Q2, "overview-period": period, "overview-reopen-reason": REASON,
                                              "url": lao_cai})
            assert response.status_code == 403, (trigger, response.status_code)
    assert "refused callback" in caplog.text
    assert closes_of(demo_db) == before


@pytest.mark.browser
def test_the_secretariat_closes_and_reopens_a_quarter_in_the_browser(live_server, browser, demo_db):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server, "tgv")
    page.goto(f"{live_server}/tong-hop")
    page.select_option("#overview-period", "2026-Q2")
    page.wait_for_selector("#overview-close-open:has-text('Chốt số liệu Quý II/2026')", timeout=20000)
    page.click("#overview-close-open")
    page.wait_for_selector("#overview-close-modal .modal-body:has-text('Chốt số liệu Quý II/2026')", timeout=10000)
    page.click("#overview-close-confirm")
    page.wait_for_selector("#overview-close-alert:has-text('Đã chốt số liệu Quý II/2026')", timeout=20000)
    page.wait_for_selector("#overview-banner:has-text('Số liệu đã chốt ngày')", timeout=20000)
    page.wait_for_selector("#overview-closed .ag-row:has-text('Quý II/2026')", timeout=10000)
    assert not page.is_visible("#overview-close-open") and not page.is_visible("#overview-close-modal")
    page.click("#overview-reopen-open")
    page.click("#overview-reopen-confirm")
    page.wait_for_selector("#overview-reopen-alert:has-text('Nhập lý do mở lại kỳ')", timeout=10000)
    page.fill("#overview-reopen-reason", REASON)
    page.click("#overview-reopen-confirm")
    page.wait_for_selector("#overview-close-alert:has-text('Đã mở lại kỳ Quý II/2026')", timeout=20000)
    page.wait_for_selector("#overview-close-open", state="visible", timeout=20000)
    assert page.inner_text("#overview-banner") == ""
    assert [row.reopened_at is not None for row in closes_of(demo_db)] == [True]
    page.close()


# ---- Changes with no day of their own -----------------------------------------------------------------

def _edit(db, stt, deadline_text, when):
    with db.write() as s:
        task = task_of(s, stt)
        raw = {"section_id": str(task.section_id), "title": task.title, "lead_text": task.lead_text,
               "coordinators_text": task.coordinators_text, "deadline_text": deadline_text,
               "expected_product": task.expected_product}
        return edit_task(s, actor(s, "tgv"), task.id, task.version, raw, when=when)


def test_a_deadline_correction_that_rewrites_a_closed_period_is_refused_until_it_is_reopened(demo_db):
    close(demo_db)
    before = fingerprint(demo_db)
    refused = _edit(demo_db, "7", "Quý III/2026", datetime(2026, 7, 6, 9))  # the printed deadline: since 01/01
    assert refused.outcome is Outcome.INVALID
    assert "Số liệu Quý II/2026 đã chốt ngày 05/07/2026" in refused.errors["deadline_text"]
    assert "mở lại kỳ" in refused.errors["deadline_text"]
    assert fingerprint(demo_db) == before
    reopen(demo_db)
    assert _edit(demo_db, "7", "Quý III/2026", datetime(2026, 7, 21, 9)).outcome is Outcome.SAVED


def test_a_deadline_in_force_only_after_the_closed_period_may_be_corrected(demo_db):
    with demo_db.write() as s:  # extended from 10/07: the deadline in force counts from then
        task = task_of(s, "7")
        extended = extend_deadline(s, actor(s, "tgv"), task.id, task.version,
                                   {**EXTENSION, "deadline_text": "31/01/2027", "decided_on": "10/07/2026",
                                    "effective_on": "10/07/2026"}, when=datetime(2026, 7, 10, 9))
        assert extended.outcome is Outcome.SAVED, extended
    close(demo_db, when=datetime(2026, 7, 15, 9))
    corrected = _edit(demo_db, "7", "28/02/2027", datetime(2026, 7, 16, 9))
    assert corrected.outcome is Outcome.SAVED, corrected
    close(demo_db, "2026-07", when=datetime(2026, 7, 20, 9))  # figures to 20/07 cover 10/07 on
    refused = _edit(demo_db, "7", "31/03/2027", datetime(2026, 7, 21, 9))
    assert "Số liệu Tháng 7/2026 đã chốt" in refused.errors["deadline_text"]


def _direction(db, higher_is_better, when=datetime(2026, 7, 6, 9)):
    with db.write() as s:
        indicator = s.scalar(select(Indicator).where(Indicator.name.startswith(ONLINE)))
        return set_direction(s, actor(s, "tgv"), indicator.id, indicator.version, higher_is_better, when=when)


def test_a_targets_direction_is_not_changed_while_a_period_is_closed(demo_db):
    close(demo_db, "2026-Q1", when=datetime(2026, 4, 2, 9))
    before = values_of(demo_db)
    refused = _direction(demo_db, False)
    assert refused.outcome is Outcome.INVALID
    assert refused.message.startswith("Đổi chiều đánh giá làm thay đổi số liệu đã chốt. Số liệu Quý I/2026 đã chốt")
    assert "mở lại kỳ" in refused.message
    assert _direction(demo_db, True).outcome is Outcome.UNCHANGED  # no change, nothing to refuse
    assert values_of(demo_db) == before
    reopen(demo_db, "2026-Q1")
    assert _direction(demo_db, False, when=datetime(2026, 7, 21, 9)).outcome is Outcome.SAVED


def test_an_import_changing_a_target_is_refused_while_a_period_is_closed(demo_db, tmp_path):
    close(demo_db)
    with demo_db.read() as s:
        before = s.execute(select(Indicator.id, Indicator.target_text, Indicator.version)
                           .order_by(Indicator.id)).all()
    header = ["STT", "Tên mục tiêu", "Mục tiêu"]
    changed = write_csv(tmp_path / "target.csv", header, [["9", ONLINE, "95%"]])
    with pytest.raises(ImportFailed) as refused, demo_db.write() as s:
        import_indicators(s, plan_of(s), changed)
    message = str(refused.value)
    assert "Dòng 2: mục tiêu hoặc chiều đánh giá mới làm thay đổi số liệu của kỳ đã chốt" in message
    assert "Số liệu Quý II/2026 đã chốt ngày 05/07/2026" in message
    with demo_db.read() as s:
        assert s.execute(select(Indicator.id, Indicator.target_text, Indicator.version)
                         .order_by(Indicator.id)).all() == before
        target = s.scalar(select(Indicator.target_text).where(Indicator.name.startswith(ONLINE)))
    same = write_csv(tmp_path / "same.csv", header, [["9", ONLINE, target]])
    with demo_db.write() as s:  # the target as it stands: no change, no refusal
        import_indicators(s, plan_of(s), same)
    reopen(demo_db)
    with demo_db.write() as s:
        assert import_indicators(s, plan_of(s), changed).updated == 1


# ---- The files of a closed period ------------------------------------------------------------------

def test_the_files_of_a_closed_period_are_marked_and_list_the_corrections(app, demo_db, tmp_path):
    complete(demo_db, "so-khcn", "4", datetime(2026, 5, 10, 9))
    close(demo_db)
    with demo_db.write() as s:  # effective in March, before the closed quarter: its live figures change
        task = task_of(s, "4")
        assert withdraw_task(s, actor(s, "tgv"), task.id, task.version,
                             {**WITHDRAWAL, "decided_on": "10/03/2026", "effective_on": "15/03/2026"},
                             when=datetime(2026, 7, 10, 9)).outcome is Outcome.SAVED
    mark = "Số liệu đã chốt ngày 05/07/2026 (người chốt: Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ))."
    today = date(2026, 11, 25)
    with demo_db.read() as s:
        plan = plan_of(s)
        word, _ = report_file(s, plan, "2026-Q2", today, "docx")
        excel, _ = report_file(s, plan, "Quý II/2026", today, "xlsx")
        open_word, _ = report_file(s, plan, "2026-Q3", today, "docx")
        open_excel, _ = report_file(s, plan, "2026-Q3", today, "xlsx")
        plan_id = plan.id
    paragraphs = Document(BytesIO(word)).paragraphs
    texts = [p.text for p in paragraphs]
    title = texts.index("BÁO CÁO") + 1
    assert texts[title].startswith("Kết quả thực hiện ") and texts[title].endswith("Quý II/2026")
    assert texts[title + 1] == mark and all(run.italic for run in paragraphs[title + 1].runs)
    correction = texts[title + 2]
    assert correction.startswith("Số liệu tính lại theo lịch sử hiện nay khác số đã chốt: ")
    assert "Tổng số nhiệm vụ: 91 (số đã chốt: 92)" in correction and "Đã hoàn thành: 00 (số đã chốt: 01)" in correction
    assert "Tổng số nhiệm vụ: 92 nhiệm vụ." in texts  # the published figures
    summary = load_workbook(BytesIO(excel))["Tổng hợp"]
    assert (summary["A2"].value, summary["A3"].value, summary["A4"].value) == (
        "Tình hình thực hiện Quý II/2026", mark, correction)
    assert summary["A5"].value.startswith("Đã hoàn thành: 01/92 nhiệm vụ.")
    assert summary["A6"].value == "Nội dung"  # the table follows the heading lines
    # An open period's files carry no mark.
    open_texts = [p.text for p in Document(BytesIO(open_word)).paragraphs]
    assert not any("đã chốt" in text for text in open_texts[:open_texts.index("BÁO CÁO") + 4])
    open_summary = load_workbook(BytesIO(open_excel))["Tổng hợp"]
    assert open_summary["A3"].value.startswith("Đã hoàn thành: ") and open_summary["A4"].value == "Nội dung"
    # The command line says so too.
    runner = app.server.test_cli_runner()
    out = tmp_path / "q2.docx"
    result = runner.invoke(args=["export-report", "--plan", str(plan_id), "--period", "2026-Q2", "--out", str(out)])
    assert result.exit_code == 0 and mark in result.output and correction in result.output
    assert Document(str(out)).paragraphs[title + 1].text == mark
    result = runner.invoke(args=["export-report", "--plan", str(plan_id), "--period", "2026-Q3",
                                 "--out", str(tmp_path / "q3.xlsx")])
    assert result.exit_code == 0 and "đã chốt" not in result.output
