import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.plans.statuses import Status, UnknownStatus, parse_status


@pytest.mark.parametrize("printed, status, remark", [
    ("Chưa thực hiện", Status.NOT_STARTED, ""),
    ("Chưa triển khai", Status.NOT_STARTED, ""),
    ("chua thuc hien", Status.NOT_STARTED, ""),
    ("Đang thực hiện", Status.IN_PROGRESS, ""),
    ("Đang triển khai", Status.IN_PROGRESS, ""),
    ("Đang nghiên cứu thực hiện", Status.IN_PROGRESS, ""),
    ("Đang thực hiện (thử nghiệm tại 3 xã)", Status.IN_PROGRESS, "thử nghiệm tại 3 xã"),
    ("Đã hoàn thành", Status.DONE, ""),
    ("Đã thực hiện", Status.DONE, ""),
    ("Hoàn thành", Status.DONE, ""),
    ("Đã hoàn thành (đưa vào vận hành từ tháng 5)", Status.DONE, "đưa vào vận hành từ tháng 5"),
])
def test_report_wordings(printed, status, remark):
    parsed = parse_status(printed)
    assert parsed.status is status and parsed.remark == remark


@pytest.mark.parametrize("printed", ["", "Tạm dừng", "Hoàn", "xong"])
def test_unknown_wording_is_refused(printed):
    with pytest.raises(UnknownStatus):
        parse_status(printed)


@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused(text):
    try:
        assert parse_status(text).status in Status
    except UnknownStatus:
        pass
