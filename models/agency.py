"""Provinces and agencies: one canonical row per agency, with aliases, groups and lineage."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class Province(Base):
    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class Agency(Base):
    """A lead/coordinating body, or a group of them ("Các sở, ngành", "UBND cấp xã")."""

    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("province_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    code: Mapped[Optional[str]] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))
    # Normalised name (no diacritics, lower case): uniqueness and lookups ignore spelling noise.
    name_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # see services.plans.agencies.AGENCY_KINDS
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when the agency was merged into another; its rows and history stay where they are.
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"))

    aliases: Mapped[list["AgencyAlias"]] = relationship(
        back_populates="agency", cascade="all, delete-orphan"
    )

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


class AgencyAlias(Base):
    """Another way the documents write an agency: short names, spelling variants, former names."""

    __tablename__ = "agency_aliases"
    __table_args__ = (UniqueConstraint("province_id", "alias_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    alias: Mapped[str] = mapped_column(String(300))
    alias_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="variant")  # variant | former

    agency: Mapped[Agency] = relationship(back_populates="aliases")


class AgencyMembership(Base):
    """Group → member edge. Groups may contain groups; expansion follows the edges."""

    __tablename__ = "agency_memberships"

    group_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)


class AgencyEvent(Base):
    """A rename or a merge, dated, so reports can explain why names changed."""

    __tablename__ = "agency_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # rename | merge
    old_name: Mapped[str] = mapped_column(String(300))
    new_name: Mapped[str] = mapped_column(String(300))
    into_agency_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
