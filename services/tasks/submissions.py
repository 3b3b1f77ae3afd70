"""The periodic report ("Nộp báo cáo kỳ"): an agency's submission for a reporting period.

The plan's cadence and deadline day define the periods. Submitting records when, by whom, on time
or late, and a snapshot of the agency's assignments at that moment; submitting again updates the
submission and the change log keeps every earlier one. A snapshot is stored once per distinct
content and the log names it by digest, so repeated clicks cost nothing; submitting the very same
content again is not a new submission.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Agency, Assignment, Plan, ReportSnapshot, ReportSubmission, Task, User
from services.accounts.permissions import Actor, NotAllowed, can_act_for_agency, can_view_agency, require_province
from services.common.inputs import strict_int
from services.common.queries import agency_province
from services.plans.catalogue import ensure_open
from services.plans.statuses import Status
from services.reporting.periods import Period, reporting_period, week_scheme
from services.reporting.rollup import assignment_in_force, task_in_force
from services.tasks.history import record_change


def current_period(plan: Plan, today: date) -> Period:
    return reporting_period(plan.reporting_cadence, today, week_scheme(plan))


def needs_update(period_start: date):
    """SQL condition: an open assignment not updated since the period began must be updated in it."""
    return and_(Assignment.status != Status.DONE.value,
                or_(Assignment.updated_at.is_(None),
                    Assignment.updated_at < datetime.combine(period_start, time.min)))


@dataclass(frozen=True)
class Submission:
    submitted_at: datetime
    submitted_by: str
    is_late: bool
    times: int  # how many times it was submitted for the period


@dataclass(frozen=True)
class ReportStatus:
    period: Period
    deadline: date
    days_left: int  # negative once the deadline has passed
    assignments: int
    pending: int  # assignments still to update in this period
    submission: Submission | None


def report_status(session: Session, actor: Actor, plan: Plan, agency_id: int, today: date) -> ReportStatus:
    require_province(actor, plan.province_id, "the plan")
    if not can_view_agency(actor, agency_id, agency_province(session, agency_id)):
        raise NotAllowed(f"user {actor.username} may not see agency {agency_id}")
    period = current_period(plan, today)
    deadline = period.deadline(plan.report_deadline_day)
    total, pending = session.execute(
        select(func.count(Assignment.id),
               func.coalesce(func.sum(case((needs_update(period.start), 1), else_=0)), 0))
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.plan_id == plan.id, Assignment.agency_id == agency_id, task_in_force(today),
               assignment_in_force(today))
    ).one()
    row = session.execute(
        select(ReportSubmission, User.full_name, User.username)
        .join(User, User.id == ReportSubmission.submitted_by_id)
        .where(ReportSubmission.plan_id == plan.id, ReportSubmission.agency_id == agency_id,
               ReportSubmission.period == period.key)
    ).first()
    submission = None
    if row is not None:
        record, full_name, username = row
        submission = Submission(record.submitted_at, full_name or username, record.is_late, record.version)
    return ReportStatus(period, deadline, (deadline - today).days, int(total), int(pending), submission)


def _snapshot(session: Session, plan: Plan, agency_id: int, day: date) -> list[dict]:
    """The agency's assignments in the plan as they stand on `day` (withdrawn tasks and ended
    leads left out); empty for an agency that leads none."""
    rows = session.execute(
        select(Assignment.id, Task.stt, Assignment.status, Assignment.progress, Assignment.result,
               Assignment.delay_reason, Assignment.note, Assignment.updated_at)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.plan_id == plan.id, Assignment.agency_id == agency_id, task_in_force(day),
               assignment_in_force(day))
        .order_by(Task.position, Assignment.id)
    ).all()
    return [
        {"assignment_id": r.id, "stt": r.stt, "status": r.status, "progress": r.progress,
         "result": r.result, "delay_reason": r.delay_reason, "note": r.note,
         "updated_at": r.updated_at.isoformat() if r.updated_at else None}
        for r in rows
    ]


def snapshot_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _stored_snapshot(session: Session, body: str) -> ReportSnapshot:
    """The snapshot row for this content, created once; a concurrent creator of the same content
    (PostgreSQL) makes the insert fail inside a savepoint and the existing row is used."""
    digest = snapshot_digest(body)
    stored = session.scalar(select(ReportSnapshot).where(ReportSnapshot.digest == digest))
    if stored is not None:
        return stored
    try:
        with session.begin_nested():
            stored = ReportSnapshot(digest=digest, body=body)
            session.add(stored)
    except IntegrityError:
        stored = session.scalar(select(ReportSnapshot).where(ReportSnapshot.digest == digest))
    return stored


@dataclass(frozen=True)
class SubmitResult:
    submission: ReportSubmission
    changed: bool  # False: the same content was already submitted for the period; nothing written


def submit_report(session: Session, actor: Actor, plan: Plan, agency_id: Any, when: datetime) -> SubmitResult:
    """Record (or re-record) the agency's report for the current period. Only an agency that leads
    assignments in the plan reports (not a group such as "Các sở, ngành"), and not to an archived plan."""
    if strict_int(agency_id) is None or session.get(Agency, agency_id) is None:
        raise NotAllowed("agency missing or malformed")
    require_province(actor, plan.province_id, "the plan")
    if not can_act_for_agency(actor, agency_id, agency_province(session, agency_id)):
        raise NotAllowed(f"user {actor.username} may not report for agency {agency_id}")
    ensure_open(plan)
    period = current_period(plan, when.date())
    is_late = when.date() > period.deadline(plan.report_deadline_day)
    submission = session.scalar(
        select(ReportSubmission).where(
            ReportSubmission.plan_id == plan.id, ReportSubmission.agency_id == agency_id,
            ReportSubmission.period == period.key,
        ).with_for_update()
    )
    assignments = _snapshot(session, plan, agency_id, when.date())
    if not assignments:
        raise NotAllowed(f"agency {agency_id} has no assignment in plan {plan.id}")
    body = json.dumps(assignments, ensure_ascii=False)
    if submission is not None and submission.snapshot.digest == snapshot_digest(body):
        return SubmitResult(submission, changed=False)
    snapshot = _stored_snapshot(session, body)
    if submission is None:
        submission = ReportSubmission(plan_id=plan.id, agency_id=agency_id, period=period.key,
                                      submitted_at=when, submitted_by_id=actor.id, is_late=is_late,
                                      snapshot=snapshot)
        session.add(submission)
        session.flush()
        previous_at, previous_digest = None, None
    else:
        previous_at, previous_digest = submission.submitted_at, submission.snapshot.digest
        submission.submitted_at, submission.submitted_by_id = when, actor.id
        submission.is_late, submission.snapshot = is_late, snapshot
    on_behalf = agency_id if actor.agency_id != agency_id else None
    for field, old, new in (("submitted_at", previous_at, when), ("snapshot", previous_digest, snapshot.digest)):
        record_change(session, "report_submission", submission.id, field, old, new, when=when,
                      recorded_at=when, user_id=actor.id, on_behalf_of_agency_id=on_behalf)
    session.flush()
    return SubmitResult(submission, changed=True)
