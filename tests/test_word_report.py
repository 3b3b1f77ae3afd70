"""The Word report read back paragraph by paragraph and table by table against the rollup at four
dates (three quarter ends and a day inside the running quarter), its footnote, layout and fonts;
user text stays text (QUALITY.md A7); LibreOffice opens and converts it; the export-report command
picks the format by the file's extension."""
import os
import shutil
import subprocess
import zipfile
from dataclasses import replace
from datetime import date
from io import BytesIO

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree
from sqlalchemy import select

from models import Agency, Plan, Task
from services.indicators.standings import band_counts, band_lines
from services.publication.content import gather
from services.publication.word_report import clean, render_docx
from services.reporting.dashboard import overdue_board, selection_for
from services.reporting.rollup import plan_rollup, tasks_counted
from tests.test_report_content import TODAY, demo_story, fixed_today, update  # noqa: F401  (fixture)
from tests.test_rollup import at

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DATES = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-11-20"]
PAYLOAD = '=HYPERLINK("http://x")'


@pytest.fixture
def story(demo_db):
    demo_story(demo_db)
    return demo_db


def report(db, key):
    with db.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        content = gather(s, plan, key, TODAY)
    return content, render_docx(content)


def footnotes_of(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(BytesIO(data)) as package:
        root = etree.fromstring(package.read("word/footnotes.xml"))
    return {note.get(f"{W}id"): "".join(note.itertext()) for note in root.iter(f"{W}footnote")}


def body_rows(table):
    """An appendix table's rows as text: ("section", code, title) for a group's heading (its name
    merged over the other columns), else the cells' texts."""
    rows = []
    for row in table.rows[1:]:
        cells = [cell.text for cell in row.cells]
        merged = len(row._tr.tc_lst) == 2
        rows.append(("section", cells[0], cells[1]) if merged else tuple(cells))
    return rows


@pytest.mark.parametrize("key", DATES)
def test_the_report_reads_back_as_the_rollup(story, key):
    content, data = report(story, key)
    selection = selection_for(key)
    day = selection.day
    with story.read() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        counts = plan_rollup(s, plan, day)
        plan_title = plan.title
        counted = tasks_counted(plan, "not_started", day).subquery("not_started")
        not_started = s.execute(select(Task.stt, Task.title, Task.lead_text)
                                .join(counted, counted.c.task_id == Task.id).order_by(Task.position)).all()
        board = overdue_board(s, plan, day, TODAY)
        bands = band_lines(band_counts(s, plan, day), band_counts(s, plan, selection.previous_day),
                           selection.previous_label)
    document = Document(BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]

    # The heading block, the title with the period, the counts in the fixed wording.
    heading = document.tables[0].rows[0].cells
    assert [p.text for p in heading[0].paragraphs] == ["UBND TỈNH LÀO CAI", "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ",
                                                       "Số:      /BC-BCĐ"]
    month = content.generated_at.month  # Nghị định 30/2020: a leading zero for January and February only
    month_text = f"{month:02d}" if month < 3 else str(month)
    assert [p.text for p in heading[1].paragraphs] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        f"Lào Cai, ngày      tháng {month_text} năm {content.generated_at.year}"]
    title = f"Kết quả thực hiện {plan_title} {content.as_of_phrase}"
    assert paragraphs[paragraphs.index("BÁO CÁO") + 1] == title
    start = paragraphs.index(f"Tổng số nhiệm vụ: {counts.total:02d} nhiệm vụ.")
    assert paragraphs[start + 1:start + 4] == [
        f"- Đã hoàn thành: {counts.done:02d}/{counts.total:02d} nhiệm vụ.",
        f"- Đang thực hiện: {counts.in_progress:02d}/{counts.total:02d} nhiệm vụ.",
        f"- Chưa thực hiện: {counts.not_started:02d}/{counts.total:02d} nhiệm vụ."]
    assert paragraphs[start + 4].startswith(
        f"- Theo thời hạn: đã hoàn thành {counts.done:02d} nhiệm vụ (đúng hạn: {counts.done_on_time:02d}, quá hạn: "
        f"{counts.done_late:02d}); chưa hoàn thành ")

    # The footnote on "Chưa thực hiện" names every task not started, and nothing else.
    reference = document.paragraphs[start + 3]._p.find(f".//{W}footnoteReference")
    assert reference is not None and reference.get(f"{W}id") == "1"
    assert reference.getparent().find(f"{W}rPr/{W}vertAlign").get(f"{W}val") == "superscript"
    notes = footnotes_of(data)
    assert set(notes) == {"-1", "0", "1"} and len(not_started) == counts.not_started
    assert notes["1"].strip() == "; ".join(f"Nhiệm vụ {stt}: {t} ({lead})" for stt, t, lead in not_started) + "."

    # Overdue tasks with their leads, the targets by band with the change.
    for row in board.rows:
        line = next(p for p in paragraphs if p.startswith(f"- Nhiệm vụ {row['stt']}: {row['title']} (thời hạn"))
        assert row["agency"] in line and (f"quá hạn {row['days']} ngày" in line or row["days"] <= 0)
    assert (f"có {counts.overdue:02d} nhiệm vụ quá hạn ({board.total:02d} phần việc" in " ".join(paragraphs)
            if board.total else "không có nhiệm vụ quá hạn" in " ".join(paragraphs))
    for line in bands:
        assert f"- {line}." in paragraphs
    assert f"IV. NHIỆM VỤ TRỌNG TÂM {content.next_label.upper()}" in paragraphs
    for line in content.next_tasks:
        assert f"- Nhiệm vụ {line.stt}: {line.title} ({line.lead}; thời hạn: {line.deadline_text})." in paragraphs
    assert "TM. BAN CHỈ ĐẠO" in [p.text for p in document.tables[1].rows[0].cells[1].paragraphs]

    # Appendices: every row as the content has it, group headings in between.
    targets, tasks = document.tables[2], document.tables[3]
    assert [c.text for c in targets.rows[0].cells] == ["TT", "Tên mục tiêu", "Đơn vị tính", "Mục tiêu", "Kết quả",
                                                       "So sánh kế hoạch giao"]
    assert [c.text for c in tasks.rows[0].cells] == ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn", "Tình trạng",
                                                     "Kết quả/Lý do"]
    target_rows, task_rows = body_rows(targets), body_rows(tasks)
    assert [r for r in target_rows if r[0] != "section"] == [
        (t.stt, t.name, t.unit, t.target_text, t.value_text, t.achievement) for t in content.targets]
    assert [r for r in task_rows if r[0] != "section"] == [
        (t.stt, t.title, t.lead, t.deadline_text, t.status, t.result) for t in content.tasks]
    assert target_rows[0] == ("section", "I", "Hạ tầng và nền tảng số") and task_rows[0][0] == "section"
    assert len([r for r in task_rows if r[0] == "section"]) == 9 and len(content.tasks) == counts.total == 92
    statuses = {t.stt: t.status for t in content.tasks}
    assert statuses["4"] == ("Đã hoàn thành" if day >= date(2026, 3, 20) else "Chưa thực hiện")
    for table in (targets, tasks):
        header = table.rows[0]._tr.trPr
        assert header.find(qn("w:tblHeader")) is not None and header.find(qn("w:cantSplit")) is not None
        assert all(row._tr.trPr.find(qn("w:tblHeader")) is None and row._tr.trPr.find(qn("w:cantSplit")) is not None
                   for row in table.rows[1:])


def test_page_fonts_and_margins(story):
    content, data = report(story, "2026-Q2")
    document = Document(BytesIO(data))
    assert len(document.sections) == 2
    for section in document.sections:
        assert sorted([round(section.page_width.cm, 1), round(section.page_height.cm, 1)]) == [21.0, 29.7]
        assert [round(m.cm, 2) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                         section.right_margin)] == [2, 2, 3, 1.5]
    assert document.sections[0].page_height > document.sections[0].page_width  # the report: portrait
    assert document.sections[1].page_width > document.sections[1].page_height  # the appendices: landscape
    normal = document.styles["Normal"]
    assert normal.font.size.pt == 14
    fonts = normal.element.rPr.rFonts
    assert {fonts.get(qn(f"w:{script}")) for script in ("ascii", "hAnsi", "cs", "eastAsia")} == {"Times New Roman"}
    defaults = document.styles.element.find(qn("w:docDefaults")).find(f"{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults.get(qn("w:eastAsia")) == "Times New Roman" and defaults.get(qn("w:asciiTheme")) is None
    runs = [run for p in document.paragraphs for run in p.runs]
    runs += [run for table in document.tables for row in table.rows for cell in row.cells
             for p in cell.paragraphs for run in p.runs]
    assert all(run.font.name in (None, "Times New Roman") for run in runs)
    table_sizes = {run.font.size.pt for table in document.tables[2:] for row in table.rows for cell in row.cells
                   for p in cell.paragraphs for run in p.runs}
    assert table_sizes == {13}


def test_user_text_stays_text(story):
    """A7: typed or imported text becomes run text in Word, never a field or markup."""
    with story.write() as s:
        plan = s.scalar(select(Plan).order_by(Plan.id))
        plan.title = f"{PAYLOAD} <b>x</b>"
        task = s.scalar(select(Task).where(Task.plan_id == plan.id, Task.stt == "5"))
        task.title, task.lead_text = PAYLOAD, "<b>x</b>"
        s.scalar(select(Agency).where(Agency.name == "Sở Khoa học và Công nghệ")).name = "<b>x</b>"
    update(story, "5", at(2026, 7, 1), status="in_progress", progress=40,
           delay_reason=f"{PAYLOAD} {{ DDE }} <w:fldSimple/>")
    content, data = report(story, "2026-Q3")
    with zipfile.ZipFile(BytesIO(data)) as package:
        xml = b"".join(package.read(name) for name in package.namelist() if name.endswith(".xml"))
    assert b"<w:fldSimple" not in xml and b"instrText" not in xml  # the typed "<w:fldSimple/>" is escaped text
    assert b"fldChar" not in xml and b"<b>" not in xml
    document = Document(BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    assert f"Kết quả thực hiện {PAYLOAD} <b>x</b> Quý III/2026" in paragraphs
    assert any(p.startswith(f"- Nhiệm vụ 5: {PAYLOAD} (thời hạn Quý II/2026") and "<b>x</b>" in p for p in paragraphs)
    assert f"- <b>x</b> (nhiệm vụ 5): {PAYLOAD} {{ DDE }} <w:fldSimple/>" in paragraphs
    row = next(r for r in document.tables[3].rows if r.cells[0].text == "5")
    assert [c.text for c in row.cells][1:3] == [PAYLOAD, "<b>x</b>"]
    # Characters XML cannot hold (a control character, a lone surrogate) are dropped, not fatal.
    odd = render_docx(replace(content, plan_title="Kế\x07 hoạch\ud800"))
    assert "Kết quả thực hiện Kế hoạch Quý III/2026" in [p.text for p in Document(BytesIO(odd)).paragraphs]
    assert clean("a\x00b\x1fc\td\ne") == "abc\td\ne"


def soffice() -> str:
    """LibreOffice, required when REQUIRE_LIBREOFFICE is set (CI installs it), else skipped if absent."""
    path = shutil.which("soffice")
    if path is None:
        if os.environ.get("REQUIRE_LIBREOFFICE"):
            pytest.fail("LibreOffice (soffice) required but not installed")
        pytest.skip("LibreOffice not installed")
    return path


def test_libreoffice_opens_and_converts_it(story, tmp_path):
    binary = soffice()
    content, data = report(story, "2026-Q3")
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(data)
    profile = tmp_path / "profile"  # a profile of its own, so parallel runs do not clash
    for target in ("pdf", "txt:Text (encoded):UTF8"):
        subprocess.run([binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target,
                        "--outdir", str(tmp_path), str(source)], check=True, timeout=120, capture_output=True,
                       env={**os.environ, "HOME": str(tmp_path)})
    assert (tmp_path / "bao-cao.pdf").read_bytes().startswith(b"%PDF")
    text = (tmp_path / "bao-cao.txt").read_text(encoding="utf-8-sig")
    counts = content.counts
    assert f"- Đã hoàn thành: {counts.done:02d}/{counts.total:02d} nhiệm vụ." in text
    assert "Phụ lục 02: Tình hình thực hiện nhiệm vụ" in text and "TM. BAN CHỈ ĐẠO" in text


def test_export_report_command_by_extension(app, story, tmp_path):
    runner = app.server.test_cli_runner()
    with story.read() as s:
        plan_id = s.scalar(select(Plan.id).order_by(Plan.id))
    word, excel, pdf = tmp_path / "bao-cao.docx", tmp_path / "bao-cao.XLSX", tmp_path / "bao-cao.pdf"
    for out in (word, excel):
        result = runner.invoke(args=["export-report", "--plan", str(plan_id), "--period", "2026-Q2", "--out", str(out)])
        assert result.exit_code == 0 and "Quý II/2026" in result.output, result.output
    paragraphs = [p.text for p in Document(word).paragraphs]
    assert "BÁO CÁO" in paragraphs and any(p.startswith("- Đã hoàn thành: ") for p in paragraphs)
    assert zipfile.ZipFile(excel).read("xl/workbook.xml").count(b"<sheet ") == 5
    refused = runner.invoke(args=["export-report", "--plan", str(plan_id), "--period", "2026-Q2", "--out", str(pdf)])
    assert refused.exit_code != 0 and "không phải .docx hoặc .xlsx" in refused.output and not pdf.exists()
    bad = runner.invoke(args=["export-report", "--plan", str(plan_id), "--period", "Q9", "--out", str(word)])
    assert bad.exit_code == 1 and "không hợp lệ" in bad.output
