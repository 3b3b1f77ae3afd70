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
from services.common.text import fold
from services.plans.importer import PlanSpec, import_plan, parse_plan, pick_table, preview_plan, write_plan
from services.plans.spreadsheet import ImportFailed, Table, TableRow
from services.plans.statuses import Status

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


def test_a_row_without_stt_is_a_part_of_the_task_above_but_refused_under_a_section(demo_db, tmp_path):
    before = rows_in(demo_db)
    rows = GOOD_ROWS[:5] + [["", "Không có STT", "Sở Y tế", "", "Năm 2026", "", "", "", ""]] + GOOD_ROWS[5:]
    with pytest.raises(ImportFailed) as failure:
        with demo_db.write() as s:
            import_plan(s, write_csv(tmp_path / "bad.csv", rows), SPEC)
    assert [str(e) for e in failure.value.errors] == ["Dòng 7: thiếu STT."]
    assert rows_in(demo_db) == before
    rows = GOOD_ROWS[:2] + [["", "Phần của Sở Y tế", "Sở Y tế", "", "Quý II/2026", "", "", "", ""]] + GOOD_ROWS[2:]
    with demo_db.write() as s:
        summary = import_plan(s, write_csv(tmp_path / "part.csv", rows), SPEC)
    assert (summary.tasks, summary.headings, summary.parts, summary.assignments) == (3, 1, 2, 24)
    with demo_db.read() as s:
        heading = s.scalar(select(Task).where(Task.plan_id == summary.plan_id, Task.stt == "1"))
        parts = s.scalars(select(Task).where(Task.parent_id == heading.id).order_by(Task.position)).all()
        assert heading.assignments == [] and heading.lead_text == ""
        assert [(p.stt, p.title, p.lead_text, p.deadline_text) for p in parts] == [
            ("a", "Truyền thông", "Sở KH&CN", "Quý I/2026"), ("b", "Phần của Sở Y tế", "Sở Y tế", "Quý II/2026")]
        assert heading.due_date == date(2026, 6, 30)  # when its last part is due


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
    with pytest.raises(ImportFailed, match="Chỉ nhận tệp .xlsx, .csv hoặc .docx"):
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


# ---- Tables as people have them (issue 12): built as a reader gives them ---------------------------

def table_of(*rows, continued: dict[int, set[int]] | None = None) -> Table:
    """A table whose rows are numbered from 1; `continued` marks cells that continue a vertical merge."""
    continued = continued or {}
    return Table("Bảng 1", [TableRow(n, list(cells), frozenset(continued.get(n, ()))) for n, cells in
                            enumerate(rows, 1)])


@pytest.mark.parametrize("header, fields", [
    (["TT", "Nội dung", "Chủ trì", "Phối hợp", "Tiến độ", "Kết quả", "Kết quả thực hiện"],
     {"stt": 0, "title": 1, "lead": 2, "coordinators": 3, "deadline": 4, "product": 5, "status": 6}),
    (["STT", "Tên nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian hoàn thành", "Sản phẩm dự kiến",
      "Trạng thái"],
     {"stt": 0, "title": 1, "lead": 2, "coordinators": 3, "deadline": 4, "product": 5, "status": 6}),
    (["STT", "Nội dung nhiệm vụ", "Cơ quan chủ\ntrì", "Cơ quan phối hợp", "Tiến độ thực hiện", "Sản phẩm",
      "Tình trạng thực hiện", "Lý do chưa hoàn thành (hoặc triển khai chậm)"],
     {"stt": 0, "title": 1, "lead": 2, "coordinators": 3, "deadline": 4, "product": 5, "status": 6, "reason": 7}),
    (["STT", "Tên sản phẩm", "Mục tiêu", "Cơ quan chủ trì", "Thời gian thực hiện", "Tình trạng",
      "Lý do chưa hoàn thành hoặc triển khai chậm"],
     {"stt": 0, "title": 1, "product": 2, "lead": 3, "deadline": 4, "status": 5, "reason": 6}),
    (["STT", "Nhiệm vụ cụ thể", "Cơ quan chủ trì", "Kết quả thực hiện", "Kết quả", "Ghi chú"],
     {"stt": 0, "title": 1, "lead": 2, "status": 3, "product": 4}),
])
def test_header_variants(header, fields):
    parsed = parse_plan(table_of(header, ["1", "Việc", "Sở Y tế"] + [""] * (len(header) - 3)), SPEC)
    assert parsed.mapping.fields == fields
    assert [h for _, h in parsed.mapping.unused] == [h for i, h in enumerate(header) if i not in fields.values()]


def test_every_column_has_a_label_for_the_mapping_form():
    assert all(c.label for c in plan_import.TASK_COLUMNS)


def test_without_deadline_or_product_columns_every_deadline_is_to_review(demo_db):
    parsed = parse_plan(table_of(["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Ghi chú"],
                                 ["1", "Truyền thông", "Sở KH&CN", "x"], ["2", "Quy chế", "Sở Tư pháp", ""]),
                        PlanSpec(province="Lào Cai", year=2026, title="Chương trình", kind="programme"))
    assert parsed.errors == []
    with demo_db.read() as s:
        preview = preview_plan(s, parsed)
    assert preview.summary.unparsed_deadlines == ["1: (không ghi thời hạn)", "2: (không ghi thời hạn)"]
    assert preview.summary.unused_columns == ["Ghi chú"]
    assert [r["deadline_kind"] for r in preview.rows] == ["Chưa xác định"] * 2
    with demo_db.write() as s:
        summary = write_plan(s, parsed)
        assert s.get(Plan, summary.plan_id).kind == "programme"
    assert summary.unparsed_deadlines == preview.summary.unparsed_deadlines


def test_a_wrong_plan_kind_is_refused():
    parsed = parse_plan(table_of(HEADER, GOOD_ROWS[1]), PlanSpec(province="Lào Cai", year=2026, title="X", kind="x"))
    assert [str(e) for e in parsed.errors] == ["Loại kế hoạch “x” không hợp lệ."]


def test_mapping_corrections():
    table = table_of(["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Ghi chú", "Thời hạn"],
                     ["1", "Việc", "Sở Y tế", "Quý I/2026", ""])
    parsed = parse_plan(table, SPEC, {"deadline": 3})
    assert parsed.tasks[0].deadline.due_date == date(2026, 3, 31)
    assert [h for _, h in parsed.mapping.unused] == ["Thời hạn"]
    with pytest.raises(ImportFailed, match="chưa chọn cột cho “Cơ quan chủ trì”"):
        parse_plan(table, SPEC, {"lead": None})


def test_wrapped_rows_numbered_columns_and_repeated_headers():
    parsed = parse_plan(table_of(
        ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn hoàn thành", "Sản phẩm"],
        ["(1)", "(2)", "(3)", "(4)", "(5)"],
        ["1", "Xây dựng kho dữ liệu", "Sở KH&CN", "Quý II/2026", "Kho dữ liệu"],
        ["", "dùng chung của tỉnh", "", "", "được đưa vào"],  # cells wrapped onto the next printed row
        ["", "", "", "", "vận hành"],
        ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn hoàn thành", "Sản phẩm"],  # a new printed page
        ["2", "Ban hành quy chế", "Sở Tư pháp", "Năm 2026", "Quy chế"],
    ), SPEC)
    assert parsed.errors == []
    assert [(r.kind, r.stt, r.title, r.product) for r in parsed.rows] == [
        ("task", "1", "Xây dựng kho dữ liệu\ndùng chung của tỉnh", "Kho dữ liệu\nđược đưa vào\nvận hành"),
        ("task", "2", "Ban hành quy chế", "Quy chế")]


def test_parts_carry_merged_cells_and_a_heading_row_speaks_for_its_block():
    parsed = parse_plan(table_of(
        ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn hoàn thành", "Sản phẩm", "Tình trạng"],
        # One lead merged over two parts, the heading's own row the first part.
        ["5", "Số hóa hồ sơ", "Sở Nội vụ", "Quý I/2026", "Kho hồ sơ", "Đã hoàn thành"],
        ["5", "Số hóa hồ sơ", "Sở Nội vụ", "Quý III/2026", "Hồ sơ lưu trữ", ""],
        # A heading row without a lead: its deadline and status are its parts' unless they print theirs.
        ["6", "Đào tạo kỹ năng số", "", "Năm 2026", "", "Đang triển khai"],
        ["", "Cho cán bộ", "Sở Nội vụ", "", "", ""],
        ["", "Cho người dân", "Sở Y tế", "Quý II/2026", "", "Chưa triển khai"],
        continued={3: {0, 1, 2}},
    ), SPEC)
    assert parsed.errors == []
    assert [(r.kind, r.label, r.title, r.lead, r.deadline.text, r.product, r.status) for r in parsed.rows] == [
        ("heading", "5", "Số hóa hồ sơ", "", "", "", None),
        ("part", "5a", "Số hóa hồ sơ", "Sở Nội vụ", "Quý I/2026", "Kho hồ sơ", Status.DONE),
        ("part", "5b", "Số hóa hồ sơ", "Sở Nội vụ", "Quý III/2026", "Hồ sơ lưu trữ", None),
        ("heading", "6", "Đào tạo kỹ năng số", "", "Năm 2026", "", None),
        ("part", "6a", "Cho cán bộ", "Sở Nội vụ", "Năm 2026", "", Status.IN_PROGRESS),
        ("part", "6b", "Cho người dân", "Sở Y tế", "Quý II/2026", "", Status.NOT_STARTED)]
    assert parsed.rows[0].deadline.due_date == date(2026, 9, 30)  # its last part's


def test_lettered_sub_items_are_unique_per_task_not_per_section():
    rows = [["STT", "Nhiệm vụ", "Cơ quan chủ trì"], ["1", "Một", "Sở Y tế"], ["a)", "Phần a", "Sở Y tế"],
            ["2", "Hai", "Sở Y tế"], ["a)", "Phần a", "Sở Tư pháp"]]
    parsed = parse_plan(table_of(*rows), SPEC)
    assert parsed.errors == []
    assert [(r.kind, r.stt, r.parent.stt if r.parent else None) for r in parsed.rows] == [
        ("task", "1", None), ("sub_item", "a)", "1"), ("task", "2", None), ("sub_item", "a)", "2")]
    parsed = parse_plan(table_of(*rows, ["a)", "Trùng", "Sở Y tế"]), SPEC)
    assert [str(e) for e in parsed.errors] == ["Dòng 6: STT a) trùng với dòng 5."]


@pytest.mark.parametrize("section_row", [
    ["I", "Nhận thức số", "", ""],
    ["I", "Nhận thức số", "Nhận thức số", "Nhận thức số"],  # merged across, text repeated in every column
    ["", "I. NHẬN THỨC SỐ", "", ""],
    ["I. NHẬN THỨC SỐ", "", "", ""],
    ["I. NHẬN THỨC SỐ"] * 4,
])
def test_section_rows_as_printed(section_row):
    parsed = parse_plan(table_of(["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn"], section_row,
                                 ["1", "Truyền thông", "Sở KH&CN", "2023 - 2024"]), SPEC)
    assert parsed.errors == [] and [code for code, _ in parsed.sections.values()] == ["I"]
    assert fold(next(iter(parsed.sections.values()))[1]) == "nhan thuc so"
    assert parsed.tasks[0].section_key == next(iter(parsed.sections))


def test_pick_table():
    targets = table_of(["STT", "Mục tiêu, chỉ tiêu", "Cơ quan chủ trì thực hiện"], ["1", "Tỷ lệ", "Sở KH&CN"])
    tasks = table_of(HEADER, GOOD_ROWS[1])
    assert pick_table([targets, tasks]) is tasks and pick_table([targets, tasks], 1) is targets
    with pytest.raises(ImportFailed, match="Tệp có 2 bảng; không có bảng số 3."):
        pick_table([targets, tasks], 3)
