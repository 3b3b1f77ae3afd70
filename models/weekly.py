"""Agency indicators (the weekly report's annex and its province-level targets) and what agencies
enter for them each week or month.

- `AgencyIndicator`: one figure measured per agency (an annex column, e.g. "Tỷ lệ hồ sơ công việc")
  or for the province (a target of the report's part I, or one of its component lines). A
  province-level figure is entered by its reporting agency or computed from other indicators
  (`formula` and `AgencyIndicatorTerm`), so a figure and its components come from the same sums.
- `AnnexTable`, `AnnexColumn`, `AnnexRow`: the annex as printed, one table per agency group, its
  indicator columns and its agency rows; an agency's form lists the columns of its tables.
- `AgencyIndicatorValue`: an agency's value for one indicator and period, as typed and as numbers.
- `AgencyPeriodEntry`: the agency entered its period ("Đã nhập"), with who and when.
- `WeeklyReportNote`: the secretariat's parts II–V of the weekly report for one period.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AgencyIndicator(Base):
    __tablename__ = "agency_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    scope: Mapped[str] = mapped_column(String(10))  # agency | province
    position: Mapped[int] = mapped_column(Integer)
    stt: Mapped[str] = mapped_column(String(20), default="")  # as printed: "6", "-", "*"
    # A component line's target (part I prints components under their target).
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agency_indicators.id"))
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(10))  # count | fraction | percent
    formula: Mapped[str] = mapped_column(String(12), default="entered")  # entered | ratio | sum | cumulative
    decimals: Mapped[int] = mapped_column(Integer, default=0)  # how many decimals the figure is shown with
    # A value under this (a percent for fractions and percents, a number for counts) is below target.
    target: Mapped[Optional[float]] = mapped_column(Float)
    # Who enters a province-level figure (None: the secretariat).
    reporter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"))


class AgencyIndicatorTerm(Base):
    """A computed indicator's component: role numerator | denominator (ratio) or term (sum, cumulative)."""

    __tablename__ = "agency_indicator_terms"

    indicator_id: Mapped[int] = mapped_column(ForeignKey("agency_indicators.id"), primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("agency_indicators.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(12), primary_key=True)


class AnnexTable(Base):
    __tablename__ = "annex_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    # Where the "Kết quả nhập liệu" column is printed among the indicator columns (None: not printed).
    entry_column: Mapped[Optional[int]] = mapped_column(Integer)


class AnnexColumn(Base):
    __tablename__ = "annex_columns"

    table_id: Mapped[int] = mapped_column(ForeignKey("annex_tables.id"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("agency_indicators.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    header: Mapped[str] = mapped_column(Text)  # as the table prints it


class AnnexRow(Base):
    __tablename__ = "annex_rows"

    table_id: Mapped[int] = mapped_column(ForeignKey("annex_tables.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    stt: Mapped[str] = mapped_column(String(20))  # "(1)"
    label: Mapped[str] = mapped_column(Text)  # the agency as the table prints it
    # False: the agency does not use the weekly reporting system ("-" in "Kết quả nhập liệu").
    enters: Mapped[bool] = mapped_column(Boolean, default=True)


class AgencyIndicatorValue(Base):
    __tablename__ = "agency_indicator_values"
    __table_args__ = (UniqueConstraint("indicator_id", "agency_id", "period"),
                      Index("ix_agency_indicator_values_period", "period", "indicator_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("agency_indicators.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # "2025-W05", "2025-02"
    period_end: Mapped[date] = mapped_column(Date)
    value_text: Mapped[str] = mapped_column(String(60))  # as typed: "107/135", "79,6%", "463.724", "-"
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)  # "-"
    numerator: Mapped[Optional[float]] = mapped_column(Float)  # a fraction's, else None
    denominator: Mapped[Optional[float]] = mapped_column(Float)
    number: Mapped[Optional[float]] = mapped_column(Float)  # the count, the percent, or a fraction's percent
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class AgencyPeriodEntry(Base):
    __tablename__ = "agency_period_entries"
    __table_args__ = (UniqueConstraint("plan_id", "agency_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    period: Mapped[str] = mapped_column(String(20))
    entered_at: Mapped[datetime] = mapped_column(DateTime)
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class WeeklyReportNote(Base):
    __tablename__ = "weekly_report_notes"
    __table_args__ = (UniqueConstraint("plan_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    period: Mapped[str] = mapped_column(String(20))
    key_tasks: Mapped[str] = mapped_column(Text, default="")  # II
    highlights: Mapped[str] = mapped_column(Text, default="")  # III
    next_tasks: Mapped[str] = mapped_column(Text, default="")  # IV
    proposals: Mapped[str] = mapped_column(Text, default="")  # V
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
