"""A province's annual plan: sections, tasks, per-agency assignments and their dated states."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("province_id", "year", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(400))
    document_number: Mapped[Optional[str]] = mapped_column(String(120))
    issued_on: Mapped[Optional[date]] = mapped_column(Date)
    # Tasks exist from this date (start of the plan year, or the issue date if earlier).
    starts_on: Mapped[date] = mapped_column(Date)
    reporting_cadence: Mapped[str] = mapped_column(String(20), default="monthly")  # weekly|monthly|quarterly
    report_deadline_day: Mapped[int] = mapped_column(Integer, default=20)
    due_soon_days: Mapped[int] = mapped_column(Integer, default=14)
    # The plan's weeks (services.reporting.periods.WeekScheme): the ISO weekday they start on and
    # which week is week 1. Lào Cai's weekly report: Friday, "first_start".
    week_start: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    week_numbering: Mapped[str] = mapped_column(String(20), default="majority", server_default="majority")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # What the plan is (services.plans.catalogue.PLAN_KINDS): the year's main plan is the default view.
    kind: Mapped[str] = mapped_column(String(20), default="annual", server_default="annual")
    # An archived plan is read-only and still reportable; who archived it is in the change log.
    archived_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    sections: Mapped[list["Section"]] = relationship(order_by="Section.position")


class Section(Base):
    """A Roman-numbered group of an appendix (tasks: Phụ lục 02, indicators: Phụ lục 01)."""

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    appendix: Mapped[str] = mapped_column(String(20))  # tasks | indicators
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(400))
    position: Mapped[int] = mapped_column(Integer)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    section_id: Mapped[Optional[int]] = mapped_column(ForeignKey("sections.id"), index=True)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tasks.id"))
    # Top-level ancestor (itself for a top-level task): rollups group sub-items under it in SQL.
    root_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tasks.id"), index=True)
    stt: Mapped[str] = mapped_column(String(20))  # as printed
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    lead_text: Mapped[str] = mapped_column(Text)  # as printed
    coordinators_text: Mapped[str] = mapped_column(Text, default="")  # as printed
    deadline_text: Mapped[str] = mapped_column(String(300), default="")  # as printed
    due_date: Mapped[Optional[date]] = mapped_column(Date, index=True)
    deadline_kind: Mapped[str] = mapped_column(String(30))  # services.plans.deadlines.DeadlineKind
    expected_product: Mapped[str] = mapped_column(Text, default="")
    # Changing the plan during the year (services.plans.editing). A task added by the secretariat
    # exists from `added_on` (None: from the plan's start, like every imported task); a withdrawn
    # task ("Không triển khai theo Thông báo số ...") leaves every count from `withdrawn_on` on and
    # stays in the history and in earlier as-of views, with the decision that dropped it.
    added_on: Mapped[Optional[date]] = mapped_column(Date)
    withdrawn_on: Mapped[Optional[date]] = mapped_column(Date)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    withdrawal_decision: Mapped[str] = mapped_column(String(200), default="", server_default="")
    withdrawal_decided_on: Mapped[Optional[date]] = mapped_column(Date)
    # Two secretaries editing one task never overwrite each other silently.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    section: Mapped[Optional[Section]] = relationship()
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="task")


class TaskDeadline(Base):
    """A deadline in force over the days [valid_from, valid_to) (None: open-ended). A task has rows
    only once its deadline was extended (gia hạn): the printed deadline (valid_from None) and each
    extension with its decision. The as-of rollup reads the row covering the day; the task row
    holds the deadline in force today."""

    __tablename__ = "task_deadlines"
    __table_args__ = (Index("ix_task_deadlines_as_of", "task_id", "valid_from", "valid_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))  # indexed by ix_..._as_of
    deadline_text: Mapped[str] = mapped_column(String(300), default="")
    due_date: Mapped[Optional[date]] = mapped_column(Date)
    deadline_kind: Mapped[str] = mapped_column(String(30))
    valid_from: Mapped[Optional[date]] = mapped_column(Date)
    valid_to: Mapped[Optional[date]] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(200), default="")  # "Quyết định số 123/QĐ-UBND"
    decided_on: Mapped[Optional[date]] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class TaskCoordinator(Base):
    """A coordinating agency as named (groups are kept unexpanded; membership is resolved on read)."""

    __tablename__ = "task_coordinators"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)


class Assignment(Base):
    """One lead agency's part of a task; group leads are split into one row per member."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("task_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    # The group this assignment came from ("Các sở, ngành"), if any.
    via_group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str] = mapped_column(Text, default="")
    delay_reason: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[Optional[date]] = mapped_column(Date)
    # Secretariat review of a reported completion: none | confirmed | returned (services.tasks.review).
    review_state: Mapped[str] = mapped_column(String(20), default="none")
    review_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # From this day the assignment no longer counts (its lead was removed or replaced when agencies
    # were reorganised); its states and change log stay, so earlier as-of views still count it.
    ended_on: Mapped[Optional[date]] = mapped_column(Date)

    __mapper_args__ = {"version_id_col": version}

    task: Mapped[Task] = relationship(back_populates="assignments")


class AssignmentState(Base):
    """The assignment's state over [valid_from, valid_to): the as-of-date rollup reads one row each.

    Every save closes the open row and opens a new one, in the same transaction as the change log.
    """

    __tablename__ = "assignment_states"
    # The as-of rollup looks up, per assignment, the interval covering a moment and reads its state:
    # this index answers it without touching the table (2.2× → 1.6× the live rollup at 100 000).
    __table_args__ = (Index("ix_assignment_states_as_of", "assignment_id", "valid_from", "valid_to", "status",
                            "completed_on", "review_state", "reported_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))  # indexed by ix_..._as_of
    status: Mapped[str] = mapped_column(String(20))
    progress: Mapped[int] = mapped_column(Integer)
    completed_on: Mapped[Optional[date]] = mapped_column(Date)
    review_state: Mapped[str] = mapped_column(String(20), default="none")
    valid_from: Mapped[datetime] = mapped_column(DateTime, index=True)
    valid_to: Mapped[Optional[datetime]] = mapped_column(DateTime, index=True)
    # When the agency made the report this row holds, if not at valid_from: a review that must skip a
    # closed period splits a row (services.tasks.history.apply_review) and the copy keeps the report's time.
    reported_at: Mapped[Optional[datetime]] = mapped_column(DateTime)


class Indicator(Base):
    """A target of Phụ lục 01, with the printed cells kept verbatim."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    section_id: Mapped[Optional[int]] = mapped_column(ForeignKey("sections.id"))
    stt: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(60), default="")
    baseline_text: Mapped[str] = mapped_column(String(120), default="")
    target_text: Mapped[str] = mapped_column(String(120), default="")
    lead_text: Mapped[str] = mapped_column(Text, default="")
    monitor_text: Mapped[str] = mapped_column(Text, default="")
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class IndicatorAgency(Base):
    """Lead or monitoring agency of an indicator (role: lead | monitor)."""

    __tablename__ = "indicator_agencies"

    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)


class IndicatorValue(Base):
    """The actual value of an indicator for one reporting period (e.g. "2026-Q2", "2026-H1")."""

    __tablename__ = "indicator_values"
    # The value as of a day is the latest period ending by then: this index answers it per indicator.
    __table_args__ = (UniqueConstraint("indicator_id", "period"),
                      Index("ix_indicator_values_as_of", "indicator_id", "period_end"))

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))  # indexed by ix_..._as_of
    period: Mapped[str] = mapped_column(String(20))
    period_end: Mapped[date] = mapped_column(Date)
    value_text: Mapped[str] = mapped_column(String(120), default="")
    value_number: Mapped[Optional[float]] = mapped_column(Float)
    is_estimate: Mapped[bool] = mapped_column(Boolean, default=False)
    assessment: Mapped[Optional[str]] = mapped_column(String(20))  # met | not_met
    source_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class ReportSnapshot(Base):
    """What an agency's assignments looked like when it submitted, stored once per distinct
    content (keyed by its SHA-256), however often the same report is submitted."""

    __tablename__ = "report_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)  # JSON


class ReportSubmission(Base):
    """An agency's periodic report ("Nộp báo cáo kỳ") with a snapshot of its assignments."""

    __tablename__ = "report_submissions"
    __table_args__ = (UniqueConstraint("plan_id", "agency_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    is_late: Mapped[bool] = mapped_column(Boolean)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("report_snapshots.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    snapshot: Mapped[ReportSnapshot] = relationship()

    __mapper_args__ = {"version_id_col": version}


class PeriodClose(Base):
    """A period published (chốt số liệu): its figures as they stood at the close, kept as the official
    ones (services.publication.closing). Reopening keeps the row, with who, when and why; a new close
    adds a new one, so at most one row per plan and period is open (reopened_at null)."""

    __tablename__ = "period_closes"
    __table_args__ = (Index("uq_period_closes_open", "plan_id", "period", unique=True,
                            sqlite_where=text("reopened_at IS NULL"),
                            postgresql_where=text("reopened_at IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # "2026-Q4"
    period_start: Mapped[date] = mapped_column(Date)
    # The figures' day: the period's end, or the closing day for a period closed before it ended.
    day: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime] = mapped_column(DateTime)
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reopened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    summary: Mapped[str] = mapped_column(Text)  # JSON: the counts the overview shows
    content: Mapped[str] = mapped_column(Text)  # JSON: services.publication.content.ReportContent
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}
