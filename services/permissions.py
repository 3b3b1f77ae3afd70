"""Who may do what: the one place role and ownership rules live.

Callbacks never trust ids from the browser; they ask these functions with the actor loaded from
the database for this request.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

ALL_ROLES = frozenset({"admin", "secretariat", "leader", "agency"})
READ_ALL_ROLES = frozenset({"admin", "secretariat", "leader"})
PLAN_WRITE_ROLES = frozenset({"admin", "secretariat"})
AGENCY_WRITE_ROLES = frozenset({"agency", "secretariat"})


@dataclass(frozen=True)
class Actor:
    """The logged-in user as the domain sees it (no Flask objects)."""

    id: int
    username: str
    full_name: str
    role: str
    agency_id: int | None
    province_id: int | None
    session_version: int

    @property
    def is_agency(self) -> bool:
        return self.role == "agency"


def can_view_agency(actor: Actor, agency_id: int) -> bool:
    """Leaders, the secretariat and admins see every agency; an agency user sees only its own."""
    return actor.role in READ_ALL_ROLES or (actor.is_agency and actor.agency_id == agency_id)


def can_act_for_agency(actor: Actor, agency_id: int) -> bool:
    """Update an agency's assignments or submit its report: the agency itself, or the secretariat
    on its behalf (recorded as such). Leaders and admins only read."""
    return actor.role == "secretariat" or (actor.is_agency and actor.agency_id == agency_id)


class NotAllowed(PermissionError):
    """The actor may not read or change this; callbacks turn it into a logged 403."""


def can_manage_plan(actor: Actor) -> bool:
    return actor.role in PLAN_WRITE_ROLES


def can_report_indicator(actor: Actor, monitors: Collection[int], actor_agencies: Collection[int]) -> bool:
    """Enter an indicator's actual values: its monitoring agency (cơ quan theo dõi, tổng hợp), also
    when named through a group it belongs to (`actor_agencies` holds its id and its groups'), or the
    secretariat. Leaders and admins only read."""
    return actor.role == "secretariat" or (actor.is_agency and not set(monitors).isdisjoint(actor_agencies))


def can_configure_indicators(actor: Actor) -> bool:
    """Settings of the plan's targets (lower is better): the secretariat, which maintains the plan."""
    return actor.role == "secretariat"
