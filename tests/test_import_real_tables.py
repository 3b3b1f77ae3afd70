"""The task import on tables as people have them (issue 12): Lai Châu's list with a task split into
parts, merged cells, wrapped rows and a repeated header; Lào Cai's Phụ lục 02 from Word."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import Assignment, Plan, Task
from services.common.clock import now
from services.plans.demo import DATA_DIR, DEMO_PLAN
from services.plans.importer import (
    PlanSpec,
    check_plan,
    parse_plan,
    pick_table,
    preview_plan,
    summary_lines,
    write_plan,
)
from services.plans.spreadsheet import ImportFailed, read_tables
from services.plans.statuses import Status
from services.reporting.rollup import plan_rollup, task_progress
from services.tasks.history import apply_assignment_change
from tests.conftest import make_app
from tests.real_tables import (
    LAI_CHAU,
    LAI_CHAU_COUNTS,
    LAI_CHAU_MERGES,
    LAI_CHAU_SPEC,
    LAI_CHAU_STATUS,
    as_read,
    load_lai_chau_agencies,
    phu_luc_02,
    write_docx,
    write_xlsx,
)

SOURCES = ["as read", "as read, merged cells repeated", "xlsx", "docx"]


def table_from(source: str, printed: list[list[str]], merges, tmp_path):
    """The table as the import gets it: from a file written with its merges, or as a reader gives it."""
    if source.startswith("as read"):
        return as_read(printed, merges, repeat_across=source.endswith("repeated"))
    write = write_xlsx if source == "xlsx" else write_docx
    return pick_table(read_tables(write(tmp_path / f"table.{source}", printed, merges)))


def by_stt(rows: list[dict]) -> dict[tuple[str, str], dict]:
    """Preview rows by (kind, label): a part by its heading's STT and its letter."""
    found, heading = {}, ""
    for row in rows:
        if row["kind"] in ("Nhiệm vụ", "Mục"):
            heading = row["stt"]
        found[(row["kind"], heading + row["stt"] if row["kind"] == "Phần" else row["stt"])] = row
    return found


@pytest.mark.parametrize("source", SOURCES)
def test_lai_chau_table_preview_and_import(demo_db, tmp_path, source):
    table = table_from(source, LAI_CHAU, LAI_CHAU_MERGES, tmp_path)
    parsed = parse_plan(table, LAI_CHAU_SPEC)
    assert parsed.errors == []
    with demo_db.write() as s:
        load_lai_chau_agencies(s)
    with demo_db.read() as s:
        preview = preview_plan(s, parsed)
    summary = preview.summary
    assert {k: getattr(summary, k) for k in LAI_CHAU_COUNTS} == LAI_CHAU_COUNTS
    assert (summary.unused_columns, summary.unknown_agencies, summary.unparsed_deadlines, summary.errors) == \
        (["Ghi chú"], [], [], 0)
    assert "2 nhiệm vụ chia thành 6 phần, mỗi phần có cơ quan chủ trì, thời hạn và tình trạng riêng." \
        in summary_lines(preview)
    rows = by_stt(preview.rows)
    assert [r["stt"] for r in preview.rows if r["kind"] == "Nhóm"] == ["I", "II", "III"]
    heading = rows[("Mục", "2")]
    assert (heading["leads"], heading["due_date"], heading["section"]) == ("", "31/12/2026", "I. HẠ TẦNG SỐ")
    part = rows[("Phần", "2b")]
    assert (part["title"], part["lead_text"], part["leads"], part["deadline"], part["due_date"], part["status"]) == (
        "Triển khai hạ tầng mạng 5G và ứng dụng Internet vạn vật (IoT) trên địa bàn tỉnh", "UBND các xã, phường",
        "UBND các xã, phường → 6 cơ quan", "2025 - 2026", "31/12/2026", "Đang thực hiện")
    part = rows[("Phần", "7b")]
    assert (part["title"], part["leads"], part["deadline"], part["due_date"]) == (
        "Số hóa kết quả giải quyết thủ tục hành chính", "Các sở, ngành → 18 cơ quan", "Năm 2025", "31/12/2025")
    assert rows[("Phần", "7a")]["status"] == "Đã hoàn thành (thí điểm tại Trung tâm Phục vụ hành chính công tỉnh)"
    assert (rows[("Nhiệm vụ", "5")]["deadline"], rows[("Nhiệm vụ", "5")]["due_date"],
            rows[("Nhiệm vụ", "5")]["deadline_kind"]) == ("Đã thực hiện 2022", "31/12/2022", "Có thời hạn")
    assert (rows[("Nhiệm vụ", "1")]["deadline"], rows[("Nhiệm vụ", "1")]["due_date"]) == ("2023 - 2024", "31/12/2024")
    assert rows[("Nhiệm vụ", "11")]["status"] == "Đã hoàn thành (ứng dụng 3D/360 chuyển sang năm 2026)"
    assert rows[("Nhiệm vụ", "3")]["title"].startswith("Nâng cấp hạ tầng kỹ thuật")
    assert rows[("Nhiệm vụ", "12")]["leads"] == "Các sở, ngành → 18 cơ quan; UBND các xã, phường → 6 cơ quan"
    assert rows[("Nhiệm vụ", "6")]["leads"] == "Văn phòng UBND tỉnh"
    assert all(r["problems"] == "" for r in preview.rows)

    with demo_db.write() as s:
        written = write_plan(s, parsed)
    assert {k: getattr(written, k) for k in LAI_CHAU_COUNTS} == LAI_CHAU_COUNTS
    with demo_db.read() as s:
        plan = s.get(Plan, written.plan_id)
        assert (plan.kind, plan.reporting_cadence, plan.report_deadline_day) == ("annual", "quarterly", 5)
        task3 = s.scalar(select(Task).where(Task.plan_id == plan.id, Task.stt == "3"))
        assert task3.expected_product == ("Đáp ứng triển khai dịch vụ công trực tuyến toàn trình, số hóa\n"
                                          "hồ sơ, kết quả giải quyết TTHC")  # the wrapped row, joined
        task5 = s.scalar(select(Task).where(Task.plan_id == plan.id, Task.stt == "5"))
        assert (task5.deadline_text, task5.due_date) == ("Đã thực hiện 2022", date(2022, 12, 31))
        heading = s.scalar(select(Task).where(Task.plan_id == plan.id, Task.stt == "7"))
        parts = s.scalars(select(Task).where(Task.parent_id == heading.id).order_by(Task.position)).all()
        assert heading.assignments == [] and heading.root_id == heading.id
        assert [(p.stt, p.lead_text, p.root_id, len(p.assignments)) for p in parts] == [
            ("a", "Văn phòng UBND tỉnh", heading.id, 1), ("b", "Các sở, ngành", heading.id, 18),
            ("c", "UBND các xã, phường", heading.id, 6)]
        first = parts[0].assignments[0]
        assert (first.status, first.note) == ("done", "thí điểm tại Trung tâm Phục vụ hành chính công tỉnh")
        counts = plan_rollup(s, plan).as_dict()
        assert {k: counts[k] for k in LAI_CHAU_STATUS} == LAI_CHAU_STATUS and counts["total"] == 14


def test_a_heading_rolls_up_from_its_parts(demo_db):
    """The sub-item rule of services.reporting.rollup, on a heading made of parts."""
    parsed = parse_plan(as_read(LAI_CHAU, LAI_CHAU_MERGES), LAI_CHAU_SPEC)
    with demo_db.write() as s:
        load_lai_chau_agencies(s)
        plan_id = write_plan(s, parsed).plan_id

    def progress():
        with demo_db.read() as s:
            plan = s.get(Plan, plan_id)
            ids = {t.stt: t.id for t in s.scalars(select(Task).where(Task.plan_id == plan_id,
                                                                     Task.stt.in_(["2", "7"])))}
            found = task_progress(s, plan, ids.values())
            return {stt: (found[i].status, found[i].parts, found[i].parts_done) for stt, i in ids.items()}

    def set_parts(stt: str, **changes):
        when = now() + timedelta(minutes=1)
        with demo_db.write() as s:
            heading = s.scalar(select(Task).where(Task.plan_id == plan_id, Task.stt == stt))
            for a in s.scalars(select(Assignment).join(Task).where(Task.root_id == heading.id)):
                apply_assignment_change(s, a, changes, when=when, recorded_at=when, user_id=None)

    # 2: a in progress, b (6 communes) in progress, c not started; 7: a done, b (18) and c (6) in progress.
    assert progress() == {"2": (Status.IN_PROGRESS, 8, 0), "7": (Status.IN_PROGRESS, 25, 1)}
    set_parts("7", status="done", progress=100, completed_on=now().date())
    set_parts("2", status="not_started")
    assert progress() == {"2": (Status.NOT_STARTED, 8, 0), "7": (Status.DONE, 25, 25)}


def test_unknown_agencies_are_shown_before_anything_is_written(demo_db):
    spec = PlanSpec(province="Lai Châu", year=2025, title="Chưa có danh mục cơ quan")
    parsed = parse_plan(as_read(LAI_CHAU, LAI_CHAU_MERGES), spec)
    with demo_db.read() as s:
        preview = preview_plan(s, parsed)
        assert "Công an tỉnh" in preview.summary.unknown_agencies and preview.summary.errors > 0
        row = next(r for r in preview.rows if r["stt"] == "8")
        assert row["leads"] == "“Công an tỉnh” (chưa có trong danh mục)"
        assert row["problems"] == "cơ quan chưa có trong danh mục: “Công an tỉnh”"
        with pytest.raises(ImportFailed, match="cơ quan chưa có trong danh mục"):
            check_plan(s, parsed)
        assert preview_plan(s, parsed, create_agencies=True).errors == []
        assert s.scalar(select(func.count()).select_from(Plan).where(Plan.title == spec.title)) == 0


@pytest.mark.parametrize("source", ["as read, merged cells repeated", "docx"])
def test_phu_luc_02_from_word_is_the_demo_plan(demo_db, tmp_path, source):
    printed, merges = phu_luc_02()
    from_word = parse_plan(table_from(source, printed, merges, tmp_path), DEMO_PLAN)
    from_excel = parse_plan(pick_table(read_tables(DATA_DIR / "lao_cai_2026_phu_luc_02.xlsx")), DEMO_PLAN)
    assert from_word.errors == [] and from_word.sections == from_excel.sections

    def rows(parsed):
        return [(r.kind, r.section_key, r.stt, r.title, r.lead, r.coordinators, r.deadline, r.product)
                for r in parsed.rows]

    assert rows(from_word) == rows(from_excel)
    spec = PlanSpec(province="Lào Cai", year=2026, title="Kế hoạch CĐS năm 2026 (bản Word)")
    with demo_db.write() as s:
        summary = write_plan(s, parse_plan(table_from(source, printed, merges, tmp_path), spec))
    assert (summary.sections, summary.tasks, summary.headings, summary.assignments) == (9, 92, 0, 251)


def test_import_plan_command_takes_a_word_table(demo_db, tmp_path):
    path = write_docx(tmp_path / "lai_chau.docx", LAI_CHAU, LAI_CHAU_MERGES)
    with demo_db.write() as s:
        load_lai_chau_agencies(s)
    runner = make_app(demo_db).server.test_cli_runner()
    args = ["import-plan", str(path), "--province", "Lai Châu", "--year", "2025", "--title", LAI_CHAU_SPEC.title,
            "--kind", "other", "--cadence", "quarterly", "--deadline-day", "5"]
    missing = runner.invoke(args=args + ["--table", "2"])
    assert missing.exit_code == 1 and "Tệp có 1 bảng; không có bảng số 2." in missing.output
    result = runner.invoke(args=args + ["--table", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {k: summary[k] for k in LAI_CHAU_COUNTS} == LAI_CHAU_COUNTS
    assert summary["unused_columns"] == ["Ghi chú"]
    with demo_db.read() as s:
        assert s.get(Plan, summary["plan_id"]).kind == "other"
