"""SQLAlchemy typed models. Import from here so every table is registered on Base.metadata."""
from sqlalchemy import event
from sqlalchemy.orm import Session

from models.agency import Agency, AgencyAlias, AgencyEvent, AgencyMembership, Province
from models.base import Base, Database
from models.dti import DtiGroup, DtiRanking, DtiScore
from models.figures import FigureSnapshot, FigureVersion
from models.plan import (
    Assignment,
    AssignmentState,
    Indicator,
    IndicatorAgency,
    IndicatorValue,
    PeriodClose,
    Plan,
    ReportSnapshot,
    ReportSubmission,
    Section,
    Task,
    TaskCoordinator,
    TaskDeadline,
)
from models.reminder import Reminder
from models.tallies import TaskTally
from models.throttle import Throttle
from models.user import ChangeLog, User
from models.weekly import (
    AgencyIndicator,
    AgencyIndicatorTerm,
    AgencyIndicatorValue,
    AgencyPeriodEntry,
    AnnexColumn,
    AnnexRow,
    AnnexTable,
    WeeklyReportNote,
)

__all__ = [
    "AgencyIndicator", "AgencyIndicatorTerm", "AgencyIndicatorValue", "AgencyPeriodEntry", "AnnexColumn", "AnnexRow",
    "AnnexTable", "WeeklyReportNote", "Agency", "AgencyAlias", "AgencyEvent", "AgencyMembership", "Assignment",
    "AssignmentState", "Base", "ChangeLog", "Database", "DtiGroup", "DtiRanking", "DtiScore", "FigureSnapshot",
    "FigureVersion", "Indicator", "IndicatorAgency", "IndicatorValue", "PeriodClose", "Plan", "Province", "Reminder",
    "ReportSnapshot", "ReportSubmission", "Section", "Task", "TaskCoordinator", "TaskDeadline", "TaskTally", "Throttle",
    "User",
]


class HistoryIsAppendOnly(Exception):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_history_edits(session, _context, _instances):
    """The change log is evidence: the ORM refuses to modify or delete its rows."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ChangeLog) and (obj in session.deleted or session.is_modified(obj)):
            raise HistoryIsAppendOnly("Lịch sử thay đổi không được sửa hoặc xóa.")
