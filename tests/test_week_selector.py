"""Weeks in the shared period selector (Tổng hợp, Chỉ tiêu), numbered by the plan's week scheme:
the demo weekly plan (Friday weeks, week 1 the first starting in the year) offers week 05/2025 as
31/01–06/02/2025, its figures are as of 06/02/2025 (never the ISO week's 02/02), a week the plan's
numbering lacks gets a Vietnamese message and no 500, and a week is never closed."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

from models import Plan
from services.publication.closing import ClosingRefused, close_period
from services.publication.content import gather
from services.reporting.periods import parse_period, week_scheme
from services.reporting.rollup import plan_rollup
from tests.test_plan_editing import actor
from tests.test_weekly import LAO_CAI, WEEKLY_PLAN_TITLE, demo_db  # noqa: F401 (the demo with its weekly report)
from tests.test_weekly_callbacks import app, logged_in, plan_search, response_of  # noqa: F401 (fixture)

WEEK_05 = {"label": "Tuần 05/2025 (31/01–06/02/2025)", "value": "2025-W05"}


def weekly_plan(s) -> Plan:
    return s.scalar(select(Plan).where(Plan.title == WEEKLY_PLAN_TITLE))


def selection(page: str, period: str, search: str) -> dict:
    return {f"{page}-kind": "week", f"{page}-period": period, f"{page}-date": None, f"{page}-refresh": 0,
            "url": search}


def test_the_weeks_are_the_plans_friday_weeks_and_follow_each_other_over_the_new_year():
    assert parse_period("2025-W05", LAO_CAI).choice_label == WEEK_05["label"]
    assert parse_period("2025-Q1").choice_label == "Quý I/2025"
    last = parse_period("2025-W52", LAO_CAI)
    assert (last.start, last.end) == (date(2025, 12, 26), date(2026, 1, 1))
    assert last.following() == parse_period("2026-W01", LAO_CAI)
    assert last.following().start == date(2026, 1, 2) and last.following().previous() == last
    assert parse_period("2025-Q4").following().key == "2026-Q1"


@pytest.mark.parametrize("page", ["overview", "indicators"])
def test_the_selector_offers_the_plans_weeks_with_their_days(app, demo_db, page):  # noqa: F811
    dash = logged_in(app, "tgv")
    options = response_of(dash.call(f"{page}-kind.value", "week", {"url": plan_search(demo_db)},
                                    output=f"{page}-period.options"))[f"{page}-period"]["options"]
    assert WEEK_05 in options
    assert options[-1] == {"label": "Tuần 01/2025 (03/01–09/01/2025)", "value": "2025-W01"}
    assert len(options) == 52  # the plan's numbering: 2025 has 52 Friday weeks


def test_week_05_on_the_overview_is_counted_as_of_thursday_06_02_2025(app, demo_db):  # noqa: F811
    search = plan_search(demo_db)
    dash = logged_in(app, "tgv")
    answer = response_of(dash.call("overview-period.value", "2025-W05", selection("overview", "2025-W05", search),
                                   output="overview-sentence"))
    assert answer["overview-sentence"]["children"].startswith("Tính đến Tuần 05/2025 (06/02/2025): ")
    assert answer["overview-close-open"]["style"] == {"display": "none"}  # a week is not closed
    with demo_db.read() as s:
        plan = weekly_plan(s)
        assert week_scheme(plan) == LAO_CAI
        content = gather(s, plan, "2025-W05", date(2026, 12, 7))
        assert (content.day, content.previous_label, content.previous_day) == (
            date(2025, 2, 6), "Tuần 04/2025", date(2025, 1, 30))
        assert content.next_label == "Tuần 06/2025"
        assert content.counts == plan_rollup(s, plan, date(2025, 2, 6))
    listed = response_of(dash.call("indicators-period.value", "2025-W05", selection("indicators", "2025-W05", search),
                                   output="indicators-heading"))
    assert "Tính đến Tuần 05/2025 (06/02/2025)" in str(listed)


@pytest.mark.parametrize("key, message", [
    ("2025-W54", "Năm 2025 không có tuần 54 (có 52 tuần)."),
    # A week ISO 8601 has (another plan's numbering) that Lào Cai's Friday weeks do not.
    ("2026-W53", "Năm 2026 không có tuần 53 (có 52 tuần)."),
])
def test_a_week_the_plan_does_not_have_gets_a_vietnamese_message_and_no_500(app, demo_db, key, message):  # noqa: F811
    search = plan_search(demo_db)
    dash = logged_in(app, "tgv")
    answer = response_of(dash.call("overview-period.value", key, selection("overview", key, search),
                                   output="overview-sentence"))
    assert answer["overview-sentence"]["children"]["props"]["children"] == message
    assert set(answer) == {"overview-sentence"}  # no figures
    for trigger, output in (("overview-period.value", "overview-trend"), ("indicators-period.value", "indicators-heading")):
        page = trigger.split("-")[0]
        assert dash.call(trigger, key, selection(page, key, search), output=output).status_code == 204
    refused = response_of(dash.call("overview-close-confirm.n_clicks", 1, selection("overview", key, search)))
    assert message in str(refused)


def test_a_week_is_never_closed(app, demo_db):  # noqa: F811
    with demo_db.write() as s:
        with pytest.raises(ClosingRefused, match=r"Không chốt số liệu theo tuần \(Tuần 05/2025\)"):
            close_period(s, actor(s, "tgv"), weekly_plan(s), "2025-W05", when=datetime(2025, 2, 7, 9))
    dash = logged_in(app, "tgv")
    answer = response_of(dash.call("overview-close-confirm.n_clicks", 1,
                                   selection("overview", "2025-W05", plan_search(demo_db))))
    assert "Không chốt số liệu theo tuần" in str(answer)
