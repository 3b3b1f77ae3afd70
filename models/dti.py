"""A province's yearly ranking of agencies by their digital-transformation index (DTI), as decided
(seed 004): groups, each agency's score, and what the app worked out from it (services.dti)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class DtiRanking(Base):
    """One year's ranking decision of a province; a new import of that year replaces it."""

    __tablename__ = "dti_rankings"
    __table_args__ = (UniqueConstraint("province_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    year: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(300), default="")  # the file it came from
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    imported_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class DtiGroup(Base):
    """A group of the decision ("Nhóm các cơ quan, đơn vị có thủ tục hành chính"), ranked apart."""

    __tablename__ = "dti_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(ForeignKey("dti_rankings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(400))
    # Scores are kept in hundredths of a point (the decision prints two decimals): exact on every database.
    average_hundredths: Mapped[int] = mapped_column(Integer)  # computed by the app
    printed_average: Mapped[str] = mapped_column(String(40), default="")  # "Điểm trung bình" as printed


class DtiScore(Base):
    """One agency's row: its score and maximum as printed, the level and rank the app computed from
    them, and the printed rank, percentage and level kept verbatim for comparison."""

    __tablename__ = "dti_scores"
    __table_args__ = (UniqueConstraint("group_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("dti_groups.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    printed_name: Mapped[str] = mapped_column(Text)
    score_hundredths: Mapped[int] = mapped_column(Integer)
    maximum_hundredths: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # services.dti.rules.Level
    rank: Mapped[int] = mapped_column(Integer)  # within its group, by score (ties share a rank)
    printed_rank: Mapped[str] = mapped_column(String(20), default="")
    printed_percent: Mapped[str] = mapped_column(String(40), default="")
    printed_level: Mapped[str] = mapped_column(String(60), default="")
