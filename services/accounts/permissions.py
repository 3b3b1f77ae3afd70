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


def sees_every_province(actor: Actor) -> bool:
    """Only a system admin created without a province, by choice, works across provinces."""
    return actor.province_id is None and actor.role == "admin"


def sees_province(actor: Actor, province_id: int | None) -> bool:
    """The province is a wall (QUALITY.md A6) for every role, secretariat, leaders and admins
    included; a non-admin user without a province sees nothing."""
    return sees_every_province(actor) or (actor.province_id is not None and actor.province_id == province_id)


def can_view_agency(actor: Actor, agency_id: int, province_id: int | None) -> bool:
    """Leaders, the secretariat and admins see every agency of their province; an agency user sees
    only its own. `province_id` is the agency's, read from the database."""
    return sees_province(actor, province_id) and (
        actor.role in READ_ALL_ROLES or (actor.is_agency and actor.agency_id == agency_id))


def can_act_for_agency(actor: Actor, agency_id: int, province_id: int | None) -> bool:
    """Update an agency's assignments or submit its report: the agency itself, or the secretariat
    of its province on its behalf (recorded as such). Leaders and admins only read."""
    return sees_province(actor, province_id) and (
        actor.role == "secretariat" or (actor.is_agency and actor.agency_id == agency_id))


class NotAllowed(PermissionError):
    """The actor may not read or change this; callbacks turn it into a logged 403."""


def require_province(actor: Actor, province_id: int | None, what: str) -> None:
    """NotAllowed unless the actor sees `province_id` (a plan's or an agency's)."""
    if not sees_province(actor, province_id):
        raise NotAllowed(f"user {actor.username} may not see {what} of province {province_id}")


def can_manage_province(actor: Actor, province_id: int | None) -> bool:
    """Maintain a province: its plans (import, edit, archive), its accounts (list, create, unlock,
    reset, deactivate) and its agency directory: an admin or the secretariat of that province."""
    return actor.role in PLAN_WRITE_ROLES and sees_province(actor, province_id)


def can_manage_account(actor: Actor, role: str, province_id: int | None) -> bool:
    """Create or change one account of `role` in `province_id`: as can_manage_province, but only an
    admin creates or changes an admin (the secretariat cannot raise anyone, itself included, above it)."""
    return can_manage_province(actor, province_id) and (role != "admin" or actor.role == "admin")


def can_publish(actor: Actor, province_id: int | None) -> bool:
    """Confirm or return what agencies reported, close a period (chốt số liệu) and reopen it: the
    secretariat of the province, which compiles and publishes the report. Leaders, admins and
    agencies read the result."""
    return actor.role == "secretariat" and sees_province(actor, province_id)


def can_unlock_addresses(actor: Actor) -> bool:
    """A client address (an office behind one address) belongs to no province: only an admin."""
    return actor.role == "admin"



def can_report_indicator(actor: Actor, monitors: Collection[int], actor_agencies: Collection[int]) -> bool:
    """Enter an indicator's actual values: its monitoring agency (cơ quan theo dõi, tổng hợp), also
    when named through a group it belongs to (`actor_agencies` holds its id and its groups'), or the
    secretariat. Leaders and admins only read."""
    return actor.role == "secretariat" or (actor.is_agency and not set(monitors).isdisjoint(actor_agencies))


def can_configure_indicators(actor: Actor) -> bool:
    """Settings of the plan's targets (lower is better): the secretariat, which maintains the plan."""
    return actor.role == "secretariat"
