"""The report of a period as a file: the published content when the period is closed (what was
signed stays what is downloaded), else the content counted now; then Word or Excel.
Callers check who may read the plan (the province wall) before asking."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from models import Plan
from services.publication.closing import Published, live_difference, publication
from services.publication.content import ReportContent, gather
from services.publication.word_report import render_docx
from services.publication.workbook import render_xlsx
from services.reporting.dashboard import selection_for
from services.reporting.periods import InvalidPeriod, WeekScheme, parse_period, week_scheme

RENDERERS = {"docx": render_docx, "xlsx": render_xlsx}


class UnknownFormat(ValueError):
    """A file format the report does not come in; the message is for the user."""


def canonical_key(period_key: str, weeks: WeekScheme) -> str:
    """"2026-Q4" for "2026-q4" or "Quý IV/2026"; a day ("2026-11-15") as given; a week numbered as
    `weeks` (the plan's) says. InvalidPeriod otherwise."""
    selection_for(period_key, weeks)  # validates both kinds
    try:
        return parse_period(period_key, weeks).key
    except InvalidPeriod:
        return period_key.strip()


def report_content(session: Session, plan: Plan, period_key: str, today: date) -> ReportContent:
    """What the report says: the stored content of a closed period, marked as published and with
    how the figures counted again today differ, else counted from the history."""
    key = canonical_key(period_key, week_scheme(plan))
    published = publication(session, plan, key)
    return marked(session, plan, published) if published is not None else gather(session, plan, key, today)


def marked(session: Session, plan: Plan, published: Published) -> ReportContent:
    """A closed period's stored content, marked as published and with how the figures counted
    again today differ (the overview and both files say the same)."""
    return replace(published.content, published=published.banner,
                   corrections=tuple(live_difference(session, plan, published)))


def report_file(session: Session, plan: Plan, period_key: str, today: date, fmt: str) -> tuple[bytes, str]:
    """The report as a .docx or .xlsx file and its name, "bao-cao-cds-2026-Q4.docx". UnknownFormat
    for any other format, InvalidPeriod for a key that names no period or day."""
    if fmt not in RENDERERS:
        raise UnknownFormat(f"Không xuất được báo cáo dạng “.{fmt}”: chọn tệp .docx (Word) hoặc .xlsx (Excel).")
    content = report_content(session, plan, period_key, today)
    return RENDERERS[fmt](content), f"bao-cao-cds-{content.period_key}.{fmt}"
