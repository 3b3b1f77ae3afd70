from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.plans.deadlines import DeadlineKind, parse_deadline

K = DeadlineKind


@pytest.mark.parametrize("printed, kind, due", [
    ("Quý I/2026", K.ONE_OFF, date(2026, 3, 31)),
    ("Quý II/2026", K.ONE_OFF, date(2026, 6, 30)),
    ("Quý III/2026", K.ONE_OFF, date(2026, 9, 30)),
    ("Quý IV/2026", K.ONE_OFF, date(2026, 12, 31)),
    ("Quý \nIV/2026", K.ONE_OFF, date(2026, 12, 31)),
    ("Tháng 10/2026", K.ONE_OFF, date(2026, 10, 31)),
    ("Tháng 2/2026", K.ONE_OFF, date(2026, 2, 28)),
    ("Tháng 2/2024", K.ONE_OFF, date(2024, 2, 29)),
    ("Năm 2026", K.ONE_OFF, date(2026, 12, 31)),
    ("2026", K.ONE_OFF, date(2026, 12, 31)),
    ("Cuối năm 2026", K.ONE_OFF, date(2026, 12, 31)),
    ("Năm 2026 Năm 2026", K.ONE_OFF, date(2026, 12, 31)),
    ("Giai đoạn 2026–2030", K.MULTI_YEAR, date(2030, 12, 31)),
    ("Giai đoạn 2026-2030", K.MULTI_YEAR, date(2030, 12, 31)),
    ("30/6/2024", K.ONE_OFF, date(2024, 6, 30)),
    ("Quý 30/6/2024", K.ONE_OFF, date(2024, 6, 30)),
    ("Trong các tháng 5,7,9 năm 2024", K.ONE_OFF, date(2024, 9, 30)),
    ("Hằng quý", K.RECURRING_QUARTERLY, date(2026, 12, 31)),
    ("Định kỳ hằng quý", K.RECURRING_QUARTERLY, date(2026, 12, 31)),
    ("Hằng năm", K.RECURRING_YEARLY, date(2026, 12, 31)),
    ("Thường xuyên", K.ONGOING, None),
    ("Thường \nxuyên", K.ONGOING, None),
    ("Định kỳ", K.ONGOING, None),
    ("2023", K.ONE_OFF, date(2023, 12, 31)),
    ("2023 - 2024", K.ONE_OFF, date(2024, 12, 31)),
    ("Đã thực hiện 2022", K.ONE_OFF, date(2022, 12, 31)),
    ("Khi có hướng dẫn của Bộ", K.UNPARSED, None),
    ("", K.UNPARSED, None),
    ("31/2/2026", K.UNPARSED, None),
    ("Tháng 13/2026", K.UNPARSED, None),
])
def test_every_printed_form(printed, kind, due):
    deadline = parse_deadline(printed, 2026)
    assert (deadline.kind, deadline.due_date) == (kind, due)
    assert deadline.text == printed.strip()


def test_unparsed_is_flagged_not_guessed():
    deadline = parse_deadline("Sau khi có kinh phí", 2026)
    assert deadline.needs_review and deadline.due_date is None


def test_recurring_forms_anchor_on_plan_year():
    assert parse_deadline("Hằng quý", 2024).due_date == date(2024, 12, 31)


@given(st.text(max_size=80), st.integers(min_value=1990, max_value=2100))
def test_never_raises_and_due_date_only_when_parsed(text, year):
    deadline = parse_deadline(text, year)
    assert isinstance(deadline.kind, DeadlineKind)
    if deadline.kind in (K.ONGOING, K.UNPARSED):
        assert deadline.due_date is None
    else:
        assert deadline.due_date is not None


@given(st.integers(1, 4), st.integers(2000, 2099))
def test_quarter_due_date_is_the_day_before_the_next_quarter(quarter, year):
    roman = ["I", "II", "III", "IV"][quarter - 1]
    due = parse_deadline(f"Quý {roman}/{year}", year).due_date
    next_quarter_start = date(year + 1, 1, 1) if quarter == 4 else date(year, quarter * 3 + 1, 1)
    assert (next_quarter_start - due).days == 1
