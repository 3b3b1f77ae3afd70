"""The command line, run through Flask's CLI runner against a fresh database."""
import json

from tests.conftest import make_app
from tests.test_import import GOOD_ROWS, write_csv


def run(db, *args):
    runner = make_app(db).server.test_cli_runner()
    return runner.invoke(args=list(args))


def test_init_db_demo_then_rollup_json(empty_db):
    result = run(empty_db, "init-db", "--demo")
    assert result.exit_code == 0, result.output
    assert "92 nhiệm vụ" in result.output and "34 mục tiêu" in result.output
    again = run(empty_db, "init-db", "--demo")
    assert again.exit_code == 0 and "không nạp lại" in again.output
    result = run(empty_db, "rollup", "--plan", "1", "--as-of", "2026-06-30", "--json")
    data = json.loads(result.output)
    assert set(data) == {"total", "done", "done_on_time", "done_late", "in_progress", "not_started",
                         "overdue", "ongoing"}
    assert data["total"] == 92 == data["done"] + data["in_progress"] + data["not_started"]
    by_section = json.loads(run(empty_db, "rollup", "--plan", "1", "--by", "section", "--json").output)
    assert [row["total"] for row in by_section] == [3, 13, 9, 15, 10, 13, 11, 11, 7]
    assert {"key", "name", "overdue"} <= set(by_section[0])


def test_import_plan_other_province_and_failures(demo_db, tmp_path):
    path = write_csv(tmp_path / "p.csv", GOOD_ROWS)
    # A second province: no agencies yet, so they must be created explicitly.
    refused = run(demo_db, "import-plan", str(path), "--province", "Lai Châu", "--year", "2026",
                  "--title", "Kế hoạch CĐS tỉnh Lai Châu năm 2026", "--cadence", "quarterly", "--deadline-day", "5")
    assert refused.exit_code == 1 and "cơ quan chưa có trong danh mục" in refused.output
    created = run(demo_db, "import-plan", str(path), "--province", "Lai Châu", "--year", "2026",
                  "--title", "Kế hoạch CĐS tỉnh Lai Châu năm 2026", "--cadence", "quarterly",
                  "--deadline-day", "5", "--create-agencies")
    assert created.exit_code == 0, created.output
    summary = json.loads(created.output)
    assert summary["tasks"] == 3 and "Sở KH&CN" in summary["created_agencies"]
    rollup = json.loads(run(demo_db, "rollup", "--plan", str(summary["plan_id"]), "--json").output)
    assert rollup["total"] == 3


def test_create_user(demo_db):
    ok = run(demo_db, "create-user", "ytế2", "--role", "agency", "--agency", "so y te", "--password", "MatKhau123")
    assert ok.exit_code == 0 and "Sở Y tế" in ok.output
    missing_agency = run(demo_db, "create-user", "x1", "--role", "agency", "--password", "MatKhau123")
    assert missing_agency.exit_code == 1 and "phải gắn với một cơ quan" in missing_agency.output
    short = run(demo_db, "create-user", "x2", "--role", "leader", "--password", "123")
    assert short.exit_code == 1 and "ít nhất 8 ký tự" in short.output
    duplicate = run(demo_db, "create-user", "tgv", "--role", "leader", "--password", "MatKhau123")
    assert duplicate.exit_code == 1 and "đã có" in duplicate.output
