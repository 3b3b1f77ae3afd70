"""Agency scorecards (issue 18, deliverable 5): one agency's page and the ranking across agencies,
each figure the same as the rule that owns it (the rollup, the compliance table, the targets' bands,
the DTI rows), moving when the agency reports; and who may see which, with forged requests."""
from __future__ import annotations

import json
import logging
from datetime import datetime, time

import pytest
from sqlalchemy import select

from models import Agency, Assignment, Indicator, Plan, Task, User
from web.auth import actor_from_user
from services.common.clock import today
from services.indicators.updates import save_value
from services.reporting.dashboard import COMPLIANCE_LABELS, compliance, on_time_rate
from services.reporting.periods import period_containing
from services.reporting.rollup import agency_rollup
from services.reporting.scorecards import periodic_reports, ranking, scorecard
from services.tasks.submissions import submit_report
from services.tasks.updates import save_update
from services.weekly.demo import load_weekly_demo
from tests.test_import_page import logged_in, response_of
from tests.test_province_wall import two_provinces  # noqa: F401  (fixture)
from tests.test_tasks_callbacks import DONE_FORM

SCIENCE = "Sở Khoa học và Công nghệ"


def actor(session, username):
    return actor_from_user(session.scalar(select(User).where(User.username == username)))


def plan_of(session) -> Plan:
    return session.scalar(select(Plan).order_by(Plan.id))


def agency_id(session, name: str = SCIENCE) -> int:
    return session.scalar(select(Agency.id).where(Agency.name == name))


def test_a_scorecard_brings_together_the_rules_that_own_each_figure(demo_db):
    with demo_db.read() as s:
        plan, science = plan_of(s), agency_id(s)
        card = scorecard(s, actor(s, "lanhdao"), plan, science, today())
        counts = agency_rollup(s, plan, None, science)[0].counts
        table = compliance(s, plan, today())
    assert card["agency"] == SCIENCE
    assert [(d["year"], d["rank"], d["group_size"], d["percent"], d["level"], d["score"]) for d in card["dti"]] == [
        (2023, 12, 18, "58,97%", "Nâng cao", "589,70")]  # 004: "12 Sở Khoa học và Công nghệ 589,70 58,97% Nâng cao"
    assert card["tasks"] == {**counts.as_dict(), "on_time_rate": on_time_rate(counts)}
    assert card["overdue_total"] == counts.overdue and len(card["overdue"]) == min(counts.overdue, 20)
    row = next(r for r in table.rows if r["id"] == science)
    cells = [row[p.key] for p in table.periods]
    owed = [c for c in cells if c in (COMPLIANCE_LABELS["on_time"], COMPLIANCE_LABELS["late"],
                                      COMPLIANCE_LABELS["missing"])]
    assert card["reports"]["due"] == len(owed)
    assert card["reports"]["missing"] == cells.count(COMPLIANCE_LABELS["missing"])
    assert card["reports"]["rate"] == row["on_time_rate"]
    assert card["weekly"] is None  # no weekly plan in 2026: weekly entries are not tracked
    assert card["below_target"] == [] and card["no_data"] > 0


def test_the_scorecard_moves_when_the_agency_reports_completes_and_a_target_falls_short(demo_db):
    with demo_db.read() as s:
        plan, science = plan_of(s), agency_id(s)
        before = scorecard(s, actor(s, "so-khcn"), plan, science, today())
        due_later = s.execute(select(Assignment.id, Assignment.version).join(Task).where(
            Assignment.agency_id == science, Task.plan_id == plan.id, Task.due_date > today(),
            Task.deadline_kind == "one_off")).first()
        target = s.scalar(select(Indicator.id).where(Indicator.plan_id == plan.id, Indicator.stt == "1"))  # 50%
    now = datetime.combine(today(), time(9))
    with demo_db.write() as s:
        form = {k.removeprefix("tasks-form-").replace("-", "_"): v for k, v in DONE_FORM.items()}
        saved = save_update(s, actor(s, "so-khcn"), due_later.id, due_later.version,
                            {**form, "completed_on": today().strftime("%d/%m/%Y")}, when=now)
        assert saved.message == "Đã lưu cập nhật.", saved
        submit_report(s, actor(s, "so-khcn"), plan_of(s), science, now)
        month = period_containing(today(), "month").previous().key  # ended: the standing as of today counts it
        value = save_value(s, actor(s, "tgv"), target, 0, {"period": month, "value": "30%"}, when=now)
        assert value.message.startswith("Đã lưu"), value
    with demo_db.read() as s:
        after = scorecard(s, actor(s, "so-khcn"), plan_of(s), science, today())
        ranked = next(r for r in ranking(s, actor(s, "tgv"), plan_of(s), today()) if r["id"] == science)
    assert after["tasks"]["done_on_time"] == before["tasks"]["done_on_time"] + 1
    assert after["reports"]["on_time"] == before["reports"]["on_time"] + 1
    assert after["reports"]["missing"] == before["reports"]["missing"]
    assert [(b["stt"], b["value"], b["achievement"], b["band_label"], b["role"]) for b in after["below_target"]] == [
        ("1", "30%", "60%", "Thực hiện đạt 50% - 80% kế hoạch giao", "Theo dõi, tổng hợp")]
    assert after["no_data"] == before["no_data"] - 1
    assert (ranked["below_target"], ranked["done_on_time"], ranked["reports_rate"]) == (
        1, after["tasks"]["done_on_time"], after["reports"]["rate"])


def test_weekly_entries_come_from_the_provinces_weekly_plan_of_the_same_year(demo_db):
    """The scorecard's weekly entries are the weekly plan's compliance (its own rule), for that year only."""
    with demo_db.write() as s:
        weekly_plan = s.get(Plan, load_weekly_demo(s, plan_of(s).province_id).plan_id)
        assert scorecard(s, actor(s, "lanhdao"), plan_of(s), agency_id(s), today())["weekly"] is None  # 2025's
        weekly_plan.year = plan_of(s).year
    with demo_db.read() as s:
        plan, weekly_plan = plan_of(s), s.scalar(select(Plan).where(Plan.reporting_cadence == "weekly"))
        entries = periodic_reports(s, weekly_plan, today())
        entering = next(agency for agency in entries if entries[agency].due)
        card = scorecard(s, actor(s, "lanhdao"), plan, entering, today())
        rows = {row["id"]: row for row in ranking(s, actor(s, "lanhdao"), plan, today())}
    assert card["weekly"] == entries[entering].as_dict() and card["weekly"]["due"] > 0
    assert all(rows[agency]["weekly_rate"] == entries[agency].rate for agency in entries if agency in rows)


def test_the_ranking_lists_the_plans_agencies_worst_first_with_their_latest_dti(demo_db):
    with demo_db.read() as s:
        plan = plan_of(s)
        rows = ranking(s, actor(s, "lanhdao"), plan, today())
        parts = {group.key: group.counts.total for group in agency_rollup(s, plan)}
    assert {r["id"] for r in rows} >= set(parts) and all(r["parts"] == parts.get(r["id"], 0) for r in rows)
    rates = [r["on_time_rate"] for r in rows]
    known = [rate for rate in rates if rate is not None]
    assert known == sorted(known) and rates == known + [None] * (len(rates) - len(known))
    by_name = {r["name"]: r for r in rows}
    assert by_name[SCIENCE]["dti"] == "Nâng cao — hạng 12/18 (2023)"
    assert by_name["Văn phòng UBND tỉnh"]["dti"] == "Nâng cao — hạng 6/21 (2023)"
    assert by_name["Công an tỉnh"]["dti"] == ""  # not ranked in 2023
    assert all(not name.startswith("Huyện") for name in by_name)  # 2023's districts have no part in the plan


def load(dash, search):
    return dash.call("scorecard-ready.data", True, {"url": search})


def test_an_agency_sees_only_its_own_scorecard_and_forged_ids_are_refused(app, demo_db, caplog):
    with demo_db.read() as s:
        science, justice = agency_id(s), agency_id(s, "Sở Tư pháp")
        group = s.scalar(select(Agency.id).where(Agency.kind == "group"))
    dash = logged_in(app, "so-khcn")
    own = json.dumps(response_of(load(dash, "")), ensure_ascii=False)
    assert SCIENCE in own and "Nâng cao" in own and "12/18" in own and "Sở Tư pháp" not in own
    assert "Nhập số liệu tuần: chưa theo dõi." in own
    assert SCIENCE in json.dumps(response_of(load(dash, f"?co-quan={science}")), ensure_ascii=False)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        for forged in (f"?co-quan={justice}", f"?co-quan={group}", "?co-quan=99999999", "?co-quan=abc",
                       "?co-quan=-1"):
            response = load(dash, forged)
            assert response.status_code == 403, forged
            assert "Sở Tư pháp" not in response.get_data(as_text=True)
    assert "may not see the scorecard" in caplog.text


@pytest.mark.parametrize("username", ["tgv", "lanhdao", "admin"])
def test_the_secretariat_leaders_and_admins_read_the_ranking_and_any_scorecard_of_their_province(
        app, demo_db, two_provinces, username):  # noqa: F811
    dash = logged_in(app, username)
    ranked = json.dumps(response_of(load(dash, "")), ensure_ascii=False)
    assert "Bảng điểm các đơn vị" in ranked and SCIENCE in ranked and "LAICHAU" not in ranked
    with demo_db.read() as s:
        justice = agency_id(s, "Sở Tư pháp")
    card = json.dumps(response_of(load(dash, f"?co-quan={justice}")), ensure_ascii=False)
    assert "Sở Tư pháp" in card and "Bảng điểm các đơn vị" in card  # the link back to the ranking
    other = load(dash, f"?co-quan={two_provinces['agency']}")
    assert other.status_code == 403 and "LAICHAU" not in other.get_data(as_text=True)


def test_an_agency_of_another_province_never_reads_lao_cai(app, demo_db, two_provinces):  # noqa: F811
    dash = logged_in(app, "khcn-lc")
    own = json.dumps(response_of(load(dash, "")), ensure_ascii=False)
    assert "LAICHAU" in own and SCIENCE not in own
    with demo_db.read() as s:
        science = agency_id(s)
        lao_cai_plan = plan_of(s).id
    assert load(dash, f"?co-quan={science}").status_code == 403
    assert load(dash, f"?ke-hoach={lao_cai_plan}").status_code == 403
