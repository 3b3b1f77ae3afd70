"""Plan import: good files, every kind of bad row, unknown agencies, a crash halfway."""
import csv
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

import services.plans.importer as plan_import
from models import Agency, Assignment, AssignmentState, ChangeLog, Plan, Task
from services.plans.importer import PlanSpec, import_plan
from services.plans.spreadsheet import ImportFailed

HEADER = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn hoàn thành",
          "Sản phẩm/Kết quả", "Tình trạng", "Lý do chưa hoàn thành", "Ngày cập nhật"]
SPEC = PlanSpec(province="Lào Cai", year=2026, title="Kế hoạch thử nghiệm")


def write_csv(path: Path, rows, header=HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


GOOD_ROWS = [
    ["I", "Nhận thức số", "", "", "", "", "", "", ""],
    ["1", "Truyền thông", "Sở KH&CN", "Công an tỉnh", "Quý I/2026", "Tài liệu", "Đã hoàn thành", "", "15/03/2026"],
    ["2", "Kiện toàn đầu mối", "Các sở, ngành", "", "Thường xuyên", "Danh sách", "", "", ""],
    ["2.1", "Phần của xã", "UBND cấp xã", "", "", "", "Đang triển khai", "Chờ kinh phí", "01/04/2026"],
    ["II", "Thể chế", "", "", "", "", "", "", ""],
    ["4", "Ban hành quy chế", "Sở Tư pháp", "", "Khi có hướng dẫn", "Quy chế", "", "", ""],
]


def rows_in(db):
    with db.read() as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m))
                for m in (Plan, Task, Assignment, AssignmentState, ChangeLog, Agency)}


def test_good_file(demo_db, tmp_path):
    path = write_csv(tmp_path / "plan.csv", GOOD_ROWS)
    with demo_db.write() as s:
        summary = import_plan(s, path, SPEC)
    assert (summary.sections, summary.tasks, summary.sub_items) == (2, 3, 1)
    assert summary.unparsed_deadlines == ["4: “Khi có hướng dẫn”"]
    # 1 (Sở KH&CN) + 15 (Các sở, ngành) + 6 (UBND cấp xã, sub-item) + 1 (Sở Tư pháp)
    assert summary.assignments == 23 and summary.assignments_from_groups == 21
    with demo_db.read() as s:
        sub = s.scalar(select(Task).where(Task.plan_id == summary.plan_id, Task.stt == "2.1"))
        parent = s.get(Task, sub.parent_id)
        assert parent.stt == "2" and sub.root_id == parent.id
        assert sub.deadline_kind == "ongoing"  # inherits the parent's deadline
        done = s.scalar(select(Assignment).join(Task).where(Task.plan_id == summary.plan_id, Task.stt == "1"))
        assert done.status == "done" and done.completed_on == date(2026, 3, 15) and done.progress == 100
        log = s.scalars(select(ChangeLog).where(ChangeLog.entity_id == done.id, ChangeLog.field == "status")).one()
        assert (log.old_value, log.new_value, log.source) == ("not_started", "done", "import")
        assert log.occurred_at.date() == date(2026, 3, 15)


def test_xlsx_with_title_rows_above_header(demo_db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["PHỤ LỤC 02: BIỂU PHÂN CÔNG NHIỆM VỤ"])
    ws.append([])
    ws.append(["Nhóm", "stt", "NHIỆM VỤ CỤ THỂ", "cơ quan chủ trì", "Cơ quan phối hợp", "Thoi han hoan thanh", "San pham/ket qua"])
    ws.append(["I. Hạ tầng", 1, "Nâng cấp", "Sở KHCN", None, "Quý II/2026", "Hệ thống"])
    ws.append(["Nhóm", "STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn hoàn thành", "Sản phẩm/Kết quả"])
    ws.append(["II. Dữ liệu", 2, "Kho dữ liệu", "Văn phòng UBND tỉnh", None, "Năm 2026", "Kho"])
    wb.save(tmp_path / "plan.xlsx")
    with demo_db.write() as s:
        summary = import_plan(s, tmp_path / "plan.xlsx", SPEC)
    assert (summary.sections, summary.tasks, summary.assignments) == (2, 2, 2)


@pytest.mark.parametrize("row, reason", [
    (["", "Không có STT", "Sở Y tế", "", "Năm 2026", "", "", "", ""], "thiếu STT"),
    (["x9", "STT lạ", "Sở Y tế", "", "Năm 2026", "", "", "", ""], "STT “x9” không hợp lệ"),
    (["7", "", "Sở Y tế", "", "Năm 2026", "", "", "", ""], "thiếu nội dung nhiệm vụ"),
    (["7", "Không có chủ trì", "", "", "Năm 2026", "SP", "", "", ""], "thiếu cơ quan chủ trì"),
    (["1", "Trùng STT", "Sở Y tế", "", "Năm 2026", "", "", "", ""], "STT 1 trùng với dòng 3"),
    (["9.1", "Mục con mồ côi", "Sở Y tế", "", "Năm 2026", "", "", "", ""], "không có nhiệm vụ 9 đứng trước"),
    (["7", "Tình trạng lạ", "Sở Y tế", "", "Năm 2026", "", "Tạm dừng", "", ""], "tình trạng “Tạm dừng”"),
    (["7", "Ngày sai", "Sở Y tế", "", "Năm 2026", "", "Đang thực hiện", "", "31/02/2026"], "không đúng dạng dd/mm/yyyy"),
    (["7", "Ngày tương lai", "Sở Y tế", "", "Năm 2026", "", "Đang thực hiện", "", "01/01/2099"], "ở tương lai"),
    (["7", "Ngày mà không trạng thái", "Sở Y tế", "", "Năm 2026", "", "", "", "01/02/2026"], "không có tình trạng"),
    (["7", "x" * 6000, "Sở Y tế", "", "Năm 2026", "", "", "", ""], "dài quá 5000 ký tự"),
    (["7", "Cơ quan lạ", "Sở Không Tồn Tại", "", "Năm 2026", "", "", "", ""], "cơ quan chưa có trong danh mục: “Sở Không Tồn Tại”"),
])
def test_one_bad_row_changes_nothing_and_is_named(demo_db, tmp_path, row, reason):
    before = rows_in(demo_db)
    path = write_csv(tmp_path / "bad.csv", GOOD_ROWS[:3] + [row] + GOOD_ROWS[3:])
    with pytest.raises(ImportFailed) as failure:
        with demo_db.write() as s:
            import_plan(s, path, SPEC)
    messages = [str(e) for e in failure.value.errors]
    assert any(m.startswith("Dòng 5:") and reason in m for m in messages), messages
    assert rows_in(demo_db) == before


def test_every_bad_row_is_listed(demo_db, tmp_path):
    rows = GOOD_ROWS + [["8", "", "Sở Y tế", "", "2026", "", "", "", ""],
                        ["9", "Cơ quan lạ", "Ban ABC", "", "2026", "", "", "", ""]]
    with pytest.raises(ImportFailed) as failure:
        with demo_db.write() as s:
            import_plan(s, write_csv(tmp_path / "bad.csv", rows), SPEC)
    assert [e.line for e in failure.value.errors] == [8, 9]


def test_unknown_agencies_created_on_request(demo_db, tmp_path):
    rows = GOOD_ROWS + [["9", "Việc mới", "Ban Quản lý dự án ABC", "", "2026", "", "", "", ""]]
    with demo_db.write() as s:
        summary = import_plan(s, write_csv(tmp_path / "p.csv", rows), SPEC, create_agencies=True)
    assert summary.created_agencies == ["Ban Quản lý dự án ABC"]
    with demo_db.read() as s:
        assert s.scalar(select(func.count()).select_from(Agency).where(Agency.name == "Ban Quản lý dự án ABC")) == 1


def test_missing_header_and_wrong_type(demo_db, tmp_path):
    before = rows_in(demo_db)
    with pytest.raises(ImportFailed, match="Không tìm thấy dòng tiêu đề"):
        with demo_db.write() as s:
            import_plan(s, write_csv(tmp_path / "h.csv", GOOD_ROWS, header=["A", "B"]), SPEC)
    (tmp_path / "plan.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(ImportFailed, match="Chỉ nhận tệp .xlsx hoặc .csv"):
        with demo_db.write() as s:
            import_plan(s, tmp_path / "plan.pdf", SPEC)
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ImportFailed, match="Không đọc được tệp Excel"):
        with demo_db.write() as s:
            import_plan(s, tmp_path / "fake.xlsx", SPEC)
    assert rows_in(demo_db) == before


def test_same_plan_twice_is_refused(demo_db, tmp_path):
    path = write_csv(tmp_path / "p.csv", GOOD_ROWS)
    with demo_db.write() as s:
        import_plan(s, path, SPEC)
    with pytest.raises(ImportFailed, match="đã có"):
        with demo_db.write() as s:
            import_plan(s, path, SPEC)


def test_crash_halfway_leaves_nothing(demo_db, tmp_path, monkeypatch):
    before = rows_in(demo_db)
    calls = {"n": 0}
    real = plan_import.open_first_state

    def crash_on_tenth(*args):
        calls["n"] += 1
        if calls["n"] == 10:
            raise RuntimeError("simulated crash")
        real(*args)

    monkeypatch.setattr(plan_import, "open_first_state", crash_on_tenth)
    with pytest.raises(RuntimeError):
        with demo_db.write() as s:
            import_plan(s, write_csv(tmp_path / "p.csv", GOOD_ROWS), SPEC)
    assert calls["n"] == 10
    assert rows_in(demo_db) == before


def test_killed_process_leaves_nothing(demo_db, tmp_path):
    """SIGKILL the CLI mid-import of a large file: the database is as before."""
    rows = [["I", "Nhóm", "", "", "", "", "", "", ""]]
    rows += [[str(n), f"Nhiệm vụ {n}", "Các sở, ngành; UBND cấp xã", "Sở Tài chính", "Quý IV/2026", "SP", "", "", ""]
             for n in range(1, 3001)]
    path = write_csv(tmp_path / "big.csv", rows)
    before = rows_in(demo_db)
    env = {**os.environ, "DATABASE_URL": demo_db.url}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "import-plan", str(path), "--province", "Lào Cai",
         "--year", "2026", "--title", "Kế hoạch lớn"],
        cwd=Path(__file__).resolve().parent.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    time.sleep(4)
    assert process.poll() is None, "import finished before it could be killed; make the file bigger"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert rows_in(demo_db) == before
