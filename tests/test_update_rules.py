"""The update form's rules and the reporting periods: pure functions, hand-made cases and properties."""
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.inputs import MAX_TEXT_LENGTH
from services.plans.statuses import Status
from services.reporting.periods import InvalidPeriod, Period, parse_period, reporting_period
from services.tasks.updates import describe_changes, validate_update

TODAY = date(2026, 11, 23)
PLAN_START = date(2026, 1, 1)


def check(raw, passed=False):
    return validate_update(raw, deadline_passed=passed, today=TODAY, plan_start=PLAN_START)


def form(**values):
    return {"status": "in_progress", "progress": 40, "completed_on": "", "result": "", "delay_reason": "",
            "note": "", **values}


def test_a_valid_update_is_cleaned():
    update, errors = check(form(note="  Đã họp triển khai  ", progress="45"))
    assert errors == {}
    assert update.status is Status.IN_PROGRESS and update.progress == 45 and update.note == "Đã họp triển khai"
    assert update.completed_on is None


def test_done_needs_evidence_and_full_progress():
    _, errors = check(form(status="done", progress=100))
    assert "số và ngày văn bản" in errors["result"]
    _, errors = check(form(status="done", progress=80, result="QĐ 12/QĐ-UBND"))
    assert errors == {"progress": "Nhiệm vụ đã hoàn thành thì tiến độ là 100%."}
    update, errors = check(form(status="done", progress=100, result="Quyết định số 788/QĐ-UBND ngày 15/04/2026"))
    assert errors == {} and update.completed_on == TODAY  # empty completion date means today


@pytest.mark.parametrize("status, progress, message", [
    ("in_progress", 100, "Tiến độ 100% chỉ dùng khi nhiệm vụ đã hoàn thành."),
    ("not_started", 10, "Nhiệm vụ chưa thực hiện thì tiến độ là 0%."),
])
def test_progress_must_agree_with_status(status, progress, message):
    assert check(form(status=status, progress=progress))[1] == {"progress": message}


@pytest.mark.parametrize("progress", [-1, 101, "abc", 50.5, True, None, "", "٣٠", [40], {"x": 1}, "1e2"])
def test_bad_progress_is_refused(progress):
    update, errors = check(form(progress=progress))
    assert update is None and errors["progress"] == "Tiến độ là số nguyên từ 0 đến 100."


@pytest.mark.parametrize("progress, expected", [(0, 0), ("0", 0), (" 30 ", 30), ("30%", 30), (99.0, 99)])
def test_progress_forms_accepted(progress, expected):
    assert check(form(progress=progress))[0].progress == expected


def test_overdue_open_task_needs_a_reason_done_one_does_not():
    assert "lý do" in check(form(), passed=True)[1]["delay_reason"]
    assert check(form(delay_reason="Chờ kinh phí"), passed=True)[1] == {}
    done = form(status="done", progress=100, result="Báo cáo số 5/BC-SKHCN")
    assert check(done, passed=True)[1] == {}


@pytest.mark.parametrize("typed, message", [
    ("24/11/2026", "Ngày hoàn thành không được sau ngày hôm nay."),
    ("31/12/2025", "Ngày hoàn thành không được trước ngày bắt đầu kế hoạch (01/01/2026)."),
    ("31/02/2026", "Ngày hoàn thành không hợp lệ; nhập theo dạng dd/mm/yyyy, ví dụ 15/04/2026."),
    ("hôm qua", "Ngày hoàn thành không hợp lệ; nhập theo dạng dd/mm/yyyy, ví dụ 15/04/2026."),
    (20261101, "Ngày hoàn thành không hợp lệ; nhập theo dạng dd/mm/yyyy."),
])
def test_completion_date_checked(typed, message):
    raw = form(status="done", progress=100, result="QĐ 1", completed_on=typed)
    assert check(raw)[1] == {"completed_on": message}


def test_completion_date_accepted_and_ignored_unless_done():
    raw = form(status="done", progress=100, result="QĐ 1", completed_on="15/4/2026")
    assert check(raw)[0].completed_on == date(2026, 4, 15)
    assert check(form(completed_on="not a date"))[0].completed_on is None


def test_text_limits_and_control_characters():
    assert "tối đa 4.000 ký tự (đang có 4.194.304)" in check(form(note="x" * 4 * 1024 * 1024))[1]["note"]
    assert "ký tự điều khiển" in check(form(result="QĐ\x00 12"))[1]["result"]
    assert check(form(note="Dòng 1\nDòng 2\tcột"))[1] == {}
    assert check(form(note=["not", "text"]))[1] == {"note": "Ghi chú: nội dung không hợp lệ."}
    assert len(check(form(note="y" * MAX_TEXT_LENGTH))[0].note) == MAX_TEXT_LENGTH


@pytest.mark.parametrize("status", ["", None, "Đã hoàn thành", "DONE", 1, ["done"]])
def test_unknown_status_refused(status):
    assert check(form(status=status))[1]["status"] == "Chọn tình trạng của nhiệm vụ."


def test_describe_changes_in_users_words():
    before = {"status": "not_started", "progress": 0, "note": ""}
    after = {"status": "in_progress", "progress": 40, "note": "Đang khảo sát"}
    assert describe_changes(before, after) == [
        "Tình trạng: Chưa thực hiện → Đang thực hiện", "Tiến độ (%): 0% → 40%",
        "Ghi chú: (trống) → Đang khảo sát",
    ]


anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                     st.text(max_size=60), st.lists(st.integers(), max_size=2),
                     st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
field_values = st.fixed_dictionaries({}, optional={
    "status": st.one_of(st.sampled_from([s.value for s in Status]), anything),
    "progress": st.one_of(st.integers(-5, 105), st.text(alphabet="0123456789%- .", max_size=5), anything),
    "completed_on": st.one_of(st.dates().map(lambda d: d.strftime("%d/%m/%Y")), anything),
    "result": anything, "delay_reason": anything, "note": anything,
})


@settings(max_examples=400, deadline=None)
@given(raw=field_values, passed=st.booleans())
def test_validator_never_raises_and_accepts_only_consistent_updates(raw, passed):
    update, errors = check(raw, passed)
    assert (update is None) == bool(errors)
    assert all(isinstance(m, str) and m for m in errors.values())
    if update is not None:
        assert 0 <= update.progress <= 100
        assert (update.progress == 100) == (update.status is Status.DONE)
        assert update.status is not Status.NOT_STARTED or update.progress == 0
        assert update.status is not Status.DONE or (update.result and PLAN_START <= update.completed_on <= TODAY)
        assert not passed or update.status is Status.DONE or update.delay_reason
        assert all(len(t) <= MAX_TEXT_LENGTH for t in (update.result, update.delay_reason, update.note))


# ---- Reporting periods --------------------------------------------------------------------------

@pytest.mark.parametrize("key, label, start, end", [
    ("2026-11", "Tháng 11/2026", date(2026, 11, 1), date(2026, 11, 30)),
    ("2024-02", "Tháng 2/2024", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-Q2", "Quý II/2026", date(2026, 4, 1), date(2026, 6, 30)),
    ("2026-q4", "Quý IV/2026", date(2026, 10, 1), date(2026, 12, 31)),
    ("2024-H1", "6 tháng đầu năm 2024", date(2024, 1, 1), date(2024, 6, 30)),
    ("2024-H2", "6 tháng cuối năm 2024", date(2024, 7, 1), date(2024, 12, 31)),
    ("2026", "Năm 2026", date(2026, 1, 1), date(2026, 12, 31)),
])
def test_period_keys(key, label, start, end):
    period = parse_period(key)
    assert (period.label, period.start, period.end, period.key) == (label, start, end, key.upper())


@pytest.mark.parametrize("key", ["2026-13", "2026-00", "2026-Q5", "2026-H3", "Q2-2026", "", "26-06", "2026-6"])
def test_bad_period_keys(key):
    with pytest.raises(InvalidPeriod):
        parse_period(key)


def test_deadlines_and_previous_periods():
    assert parse_period("2026-11").deadline(20) == date(2026, 11, 20)
    assert parse_period("2026-02").deadline(31) == date(2026, 2, 28)  # clamped to the month's end
    assert parse_period("2026-Q2").deadline(5) == date(2026, 6, 5)  # Lai Châu: 5th of the last month
    assert parse_period("2026-01").previous() == Period("month", 2025, 12)
    assert parse_period("2026-Q1").previous().label == "Quý IV/2025"
    assert reporting_period("monthly", date(2026, 11, 23)).key == "2026-11"
    assert reporting_period("quarterly", date(2026, 11, 23)).key == "2026-Q4"
    assert reporting_period("weekly", date(2026, 11, 23)).key == "2026-W48"  # ISO weeks unless the plan says
    with pytest.raises(InvalidPeriod):
        reporting_period("daily", TODAY)
