"""The migrations build exactly the models' schema; the synthetic generator is reproducible; the
save benchmark runs (at a tiny size, so it cannot rot)."""
from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from models import Assignment, AssignmentState, Base, ChangeLog, Plan, Task
from services.plans.synthetic import make_synthetic


def test_migrations_match_the_models(empty_db):
    with empty_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def _fingerprint(db, plan_id):
    with db.read() as s:
        return s.execute(select(Task.stt, Task.deadline_text, Assignment.status, Assignment.progress,
                                Assignment.version).join(Assignment).where(Task.plan_id == plan_id)
                         .order_by(Task.position, Assignment.id)).all()


def test_synthetic_plan_is_reproducible_and_consistent(empty_db):
    with empty_db.write() as s:
        first = make_synthetic(s, tasks=60, agencies=12, updates=400, leads_per_task=3, seed=5)
        second = make_synthetic(s, tasks=60, agencies=12, updates=400, leads_per_task=3, seed=5)
    assert (first.tasks, first.assignments, first.indicators) == (60, 180, 0)
    one, two = _fingerprint(empty_db, first.plan_id), _fingerprint(empty_db, second.plan_id)
    assert [tuple(r)[1:] for r in one] == [tuple(r)[1:] for r in two]
    with empty_db.read() as s:
        # Every assignment has exactly one open interval, and one closed interval per version bump.
        open_rows = s.scalars(select(AssignmentState.assignment_id).where(AssignmentState.valid_to.is_(None))).all()
        assert len(open_rows) == len(set(open_rows)) == first.assignments + second.assignments
        versions = sum(v - 1 for v in s.scalars(select(Assignment.version)))
        closed = len(s.scalars(select(AssignmentState.id).where(AssignmentState.valid_to.is_not(None))).all())
        assert versions == closed == first.updates + second.updates
        assert len(s.scalars(select(ChangeLog.id)).all()) == first.history_rows + second.history_rows


def test_save_benchmark_runs_at_a_tiny_size(tmp_path, backend, templates):
    from benchmarks.save_roundtrip import measure
    rows = measure(backend, templates.clone("empty", tmp_path), 40, saves=5)
    assert [r[2] for r in rows] == ["bare SQL", "service", "round trip"]
    assert all(0 < median <= p95 for _, _, _, median, p95, _ in rows) and rows[0][5] == 1.0


def test_dashboard_benchmark_runs_at_a_tiny_size(tmp_path, backend, templates):
    from benchmarks.dashboard import format_rows
    from benchmarks.dashboard import measure as measure_dashboard
    scale, rows = measure_dashboard(backend, templates.clone("empty", tmp_path), 400, 1200, repeat=2, indicators=20)
    assert scale.startswith(f"{backend}: 400 phân công") and "20 chỉ tiêu" in scale
    assert [r[0].split(" (")[0] for r in rows] == ["overview", "overview", "completion line", "overdue board",
                                                   "agency workspace", "save", "indicator table",
                                                   "indicator table, nothing memoized", "indicator bands",
                                                   "indicator page"]
    for name, statements, warm, direct, own_sql, minimal in rows:
        assert statements >= 1 and 0 < warm[0] <= warm[1] and 0 < direct[0] <= direct[1] and own_sql[0] > 0
        assert minimal is None or 0 < minimal[0] <= minimal[1]
    assert sum(minimal is not None for *_, minimal in rows) == 5  # every view with a question in SQL
    assert len(format_rows(rows)) == len(rows)


def test_synthetic_indicators_are_valued_every_month_and_readable(empty_db):
    from datetime import datetime

    from services.indicators.achievement import Band
    from services.indicators.standings import band_counts
    with empty_db.write() as s:
        summary = make_synthetic(s, tasks=5, agencies=3, updates=0, seed=3, indicators=16,
                                 until=datetime(2026, 7, 15, 12))
        counts = band_counts(s, s.get(Plan, summary.plan_id), date(2026, 7, 31))
    assert (summary.indicators, summary.indicator_values) == (16, 16 * 7)
    assert sum(counts.values()) == 16 and counts[Band.NO_DATA] == 0  # every generated value is readable


def test_make_synthetic_command(empty_db):
    import json

    from tests.conftest import make_app
    runner = make_app(empty_db).server.test_cli_runner()
    result = runner.invoke(args=["make-synthetic", "--tasks", "30", "--agencies", "5", "--updates", "50",
                                 "--leads", "2", "--seed", "9"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["tasks"], summary["assignments"], summary["password"]) == (30, 60, "Synthetic@2026")
    bad = runner.invoke(args=["make-synthetic", "--tasks", "3", "--agencies", "1", "--leads", "2"])
    assert bad.exit_code == 1 and "không được vượt quá" in bad.output
