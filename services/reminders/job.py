"""The daily job (`flask send-reminders`, from cron): create every reminder due on a day exactly
once, then e-mail each user one digest of their new ones.

Exactly once: a reminder's key (user, kind, subject, period or date) is unique in the database and
rows are created with INSERT ... ON CONFLICT DO NOTHING, so a second run, or two servers running
at once, create nothing twice. Mail goes out per user in three short steps: claim the user's unsent
rows (an UPDATE that marks them with a token and a time; a concurrent run waits for that row lock,
then sees them claimed and skips), send outside any transaction, then mark them e-mailed only once
the SMTP server accepted the message — or count the attempt and keep the error, for the next run
to retry. Holding a transaction open during the SMTP conversation would hold SQLite's write lock
(every save in the app would wait), hence the claim with a lease instead of SELECT ... FOR UPDATE.
A run that dies between sending and marking leaves a claim that expires after CLAIM_LEASE: that
digest may then go out twice, the one case SMTP cannot rule out. Never called from a web request.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import Agency, Database, Plan, Province, Reminder, User
from models.base import DatabaseBusy
from models.reminder import KEY_COLUMNS
from services.common.clock import now as clock_now
from services.reminders.mail import DEFAULT_BASE_URL, DEFAULT_SENDER, Digest, DigestItem, digest_message
from services.reminders.rules import KIND_LABELS, KINDS

log = logging.getLogger("cds.reminders")
MAIL_WINDOW_DAYS = 7  # a digest carries the reminders of the last week; older ones stay in the app
MAX_ATTEMPTS = 10  # after so many refused sends a reminder stays in the app only
CLAIM_LEASE = timedelta(minutes=15)
BATCH = 500
KIND_ORDER = {kind.key: position for position, kind in enumerate(KINDS)}


@dataclass
class RunSummary:
    as_of: date
    dry_run: bool
    email_enabled: bool
    created: int = 0
    emailed: int = 0  # digests the SMTP server accepted (in a dry run: would send)
    failed: int = 0  # digests refused or undeliverable, to be retried by the next run
    by_kind: dict[str, int] = field(default_factory=dict)
    reminders: list[dict] = field(default_factory=list)  # what was (in a dry run: would be) created

    def as_json(self) -> dict:
        """For `--json`: the counts, and per agency what its users were reminded of."""
        by_agency: dict[str, list[dict]] = {}
        for item in self.reminders:
            if item["agency"]:
                entry = {key: item[key] for key in ("kind", "subject_type", "subject_id", "period_key", "title")}
                if entry not in by_agency.setdefault(item["agency"], []):
                    by_agency[item["agency"]].append(entry)
        return {"as_of": self.as_of.isoformat(), "dry_run": self.dry_run, "email_enabled": self.email_enabled,
                "created": self.created, "emailed": self.emailed, "failed": self.failed, "by_kind": self.by_kind,
                "by_agency": by_agency}

    def lines(self) -> list[str]:
        """The same in words, for a person reading the job's output."""
        verb = "Sẽ tạo" if self.dry_run else "Đã tạo"
        lines = [f"{verb} {self.created} nhắc việc ngày {self.as_of:%d/%m/%Y}" + (" (chạy thử, không ghi gì)."
                                                                                  if self.dry_run else ".")]
        lines += [f"  {KIND_LABELS.get(kind, kind)}: {count}" for kind, count in self.by_kind.items()]
        if not self.email_enabled:
            lines.append("Gửi thư: tắt (chưa đặt CDS_SMTP_HOST); nhắc việc chỉ hiện trong ứng dụng.")
        else:
            lines.append(f"{'Sẽ gửi' if self.dry_run else 'Đã gửi'} {self.emailed} thư tổng hợp"
                         + (f"; {self.failed} thư lỗi, sẽ gửi lại lần chạy sau." if self.failed else "."))
        return lines


class _Preview(Exception):
    """Ends a dry run's transaction (rolled back) with what it would have done."""

    def __init__(self, created: list[tuple], would_email: int):
        super().__init__("dry run")
        self.created, self.would_email = created, would_email


# ---- Finding and creating ----------------------------------------------------------------------------

def _recipients(session: Session) -> tuple[dict[int, list[int]], dict[tuple[int, str], list[int]]]:
    """Active users who receive reminders: agency users by agency; secretariat and leaders by
    (province, role). Admins and users without an agency or province receive none."""
    by_agency: dict[int, list[int]] = {}
    by_role: dict[tuple[int, str], list[int]] = {}
    rows = session.execute(select(User.id, User.role, User.agency_id, User.province_id)
                           .where(User.active.is_(True)).order_by(User.id)).tuples()
    for user_id, role, agency_id, province_id in rows:
        if role == "agency" and agency_id is not None:
            by_agency.setdefault(agency_id, []).append(user_id)
        elif role in ("secretariat", "leader") and province_id is not None:
            by_role.setdefault((province_id, role), []).append(user_id)
    return by_agency, by_role


def collect(session: Session, as_of: date, created_at: datetime) -> list[dict]:
    """Every reminder due on `as_of` over the open plans, one row per recipient, in key order."""
    by_agency, by_role = _recipients(session)
    rows = []
    for plan in session.scalars(select(Plan).where(Plan.archived_at.is_(None)).order_by(Plan.id)):
        for kind in KINDS:
            for found in kind.find(session, plan, as_of):
                users = (by_agency.get(found.agency_id, []) if kind.audience == "agency"
                         else by_role.get((plan.province_id, kind.audience), []))
                rows.extend({
                    "user_id": user_id, "plan_id": plan.id, "kind": kind.key, "subject_type": found.subject_type,
                    "subject_id": found.subject_id, "period_key": found.period_key, "as_of": as_of,
                    "created_at": created_at, "title": found.title, "body": found.body, "link": found.link,
                    "email_attempts": 0, "last_error": "",
                } for user_id in users)
    # One order for every run, so concurrent inserts on PostgreSQL queue instead of deadlocking.
    rows.sort(key=lambda row: tuple(row[column] for column in KEY_COLUMNS))
    return rows


def create(session: Session, rows: list[dict]) -> list[tuple]:
    """Insert the rows not yet stored; (user_id, kind, subject_type, subject_id, period_key, title)
    of those created. A key already there, or being written by a concurrent run, is skipped."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    created = []
    for start in range(0, len(rows), BATCH):
        statement = (dialect.insert(Reminder).values(rows[start:start + BATCH])
                     .on_conflict_do_nothing(index_elements=list(KEY_COLUMNS))
                     .returning(Reminder.user_id, Reminder.kind, Reminder.subject_type, Reminder.subject_id,
                                Reminder.period_key, Reminder.title))
        created.extend(session.execute(statement).tuples())
    return created


def _described(session: Session, created: list[tuple]) -> list[dict]:
    users = dict(session.execute(select(User.id, User.username)).tuples().all())
    agencies = dict(session.execute(select(User.id, Agency.name).join(Agency, Agency.id == User.agency_id)).tuples().all())
    return [{"user": users.get(user_id), "agency": agencies.get(user_id), "kind": kind, "subject_type": subject_type,
             "subject_id": subject_id, "period_key": period_key, "title": title}
            for user_id, kind, subject_type, subject_id, period_key, title in created]


# ---- Mailing -------------------------------------------------------------------------------------------

def _mailable(as_of: date):
    """SQL condition on Reminder: new to the user's mail (not sent, not read in the app yet, recent,
    not given up on)."""
    return and_(Reminder.emailed_at.is_(None), Reminder.read_at.is_(None),
                Reminder.as_of >= as_of - timedelta(days=MAIL_WINDOW_DAYS), Reminder.email_attempts < MAX_ATTEMPTS)


def _wants_mail():
    """SQL condition on User: active, with an address, and not turned the digest off."""
    return and_(User.active.is_(True), User.email_reminders.is_(True), User.email.is_not(None), User.email != "")


def _pending_users(session: Session, as_of: date) -> list[int]:
    return list(session.scalars(select(Reminder.user_id).join(User, User.id == Reminder.user_id)
                                .where(_mailable(as_of), _wants_mail()).distinct().order_by(Reminder.user_id)))


def _claim(db: Database, user_id: int, as_of: date, at: datetime) -> tuple[str, Digest] | None:
    """Claim the user's unsent reminders for this run and build their digest (None: nothing left,
    e.g. another run has them)."""
    token = uuid.uuid4().hex
    with db.write() as session:
        user = session.scalar(select(User).where(User.id == user_id, _wants_mail()))
        if user is None:
            return None
        claimed = session.scalars(
            update(Reminder)
            .where(Reminder.user_id == user_id, _mailable(as_of),
                   (Reminder.claimed_at.is_(None)) | (Reminder.claimed_at < at - CLAIM_LEASE))
            .values(claim_token=token, claimed_at=at).returning(Reminder.id)).all()
        if not claimed:
            return None
        rows = session.execute(
            select(Reminder, Plan.title).outerjoin(Plan, Plan.id == Reminder.plan_id)
            .where(Reminder.id.in_(claimed))).tuples().all()
        province = session.scalar(select(Province.name).where(Province.id == user.province_id)) or ""
        rows.sort(key=lambda row: (row[0].plan_id or 0, KIND_ORDER.get(row[0].kind, len(KINDS)), row[0].id))
        items = [DigestItem(plan_title or "", KIND_LABELS.get(reminder.kind, reminder.kind), reminder.title,
                            reminder.body, reminder.link) for reminder, plan_title in rows]
        return token, Digest(user.email, user.full_name or user.username, province, as_of, items)


SETTLE_ATTEMPTS = 5  # a digest the server accepted must be marked, or the next run sends it again


def _settle(db: Database, token: str, at: datetime, error: str | None) -> None:
    """Mark the claimed rows e-mailed, or count the failed attempt and keep its error; a busy
    database is waited for a few times, since giving up after a send means sending it twice."""
    for attempt in range(1, SETTLE_ATTEMPTS + 1):
        try:
            with db.write() as session:
                claimed = Reminder.claim_token == token
                if error is None:
                    session.execute(update(Reminder).where(claimed).values(emailed_at=at, claim_token=None))
                else:
                    session.execute(update(Reminder).where(claimed).values(
                        email_attempts=Reminder.email_attempts + 1, last_error=error[:2000], claim_token=None,
                        claimed_at=None))
            return
        except DatabaseBusy:
            if attempt == SETTLE_ATTEMPTS:
                raise
            log.warning("reminder digest %s not marked on attempt %s: database busy, waiting", token, attempt)
            time.sleep(attempt)


def mail_digests(db: Database, as_of: date, send: Callable[[EmailMessage], None], *, sender: str,
                 base_url: str, clock: Callable[[], datetime] = clock_now) -> tuple[int, int]:
    """Send each user with new reminders one digest; (sent, failed)."""
    with db.read() as session:
        users = _pending_users(session, as_of)
    sent = failed = 0
    for user_id in users:
        claimed = _claim(db, user_id, as_of, clock())
        if claimed is None:
            continue
        token, digest = claimed
        try:
            send(digest_message(digest, sender, base_url))
        except Exception as exc:  # any refusal or network error: count it, keep going, retry next run
            failed += 1
            log.warning("reminder digest to user %s (%s reminders) failed: %s", user_id, len(digest.items), exc)
            _settle(db, token, clock(), f"{type(exc).__name__}: {exc}")
        else:
            sent += 1
            _settle(db, token, clock(), None)
    return sent, failed


# ---- The run --------------------------------------------------------------------------------------------

def run_reminders(db: Database, as_of: date, *, dry_run: bool = False,
                  send: Callable[[EmailMessage], None] | None = None, sender: str = DEFAULT_SENDER,
                  base_url: str = DEFAULT_BASE_URL, clock: Callable[[], datetime] = clock_now) -> RunSummary:
    """Create the reminders due on `as_of`, then (with `send`) e-mail the digests. A dry run does
    the same inserts in a transaction it rolls back, so its preview is exactly what a run would do,
    and writes nothing."""
    summary = RunSummary(as_of, dry_run, email_enabled=send is not None)
    with db.read() as session:  # the rules read outside the write lock
        rows = collect(session, as_of, clock())
    try:
        with db.write() as session:
            created = create(session, rows)
            if dry_run:
                raise _Preview(created, len(_pending_users(session, as_of)) if send is not None else 0)
    except _Preview as preview:
        created = preview.created
        summary.emailed = preview.would_email
    with db.read() as session:
        summary.reminders = _described(session, created)
    summary.created = len(created)
    counts = Counter(kind for _, kind, *_ in created)
    summary.by_kind = {kind.key: counts[kind.key] for kind in KINDS if counts[kind.key]}
    if send is not None and not dry_run:
        summary.emailed, summary.failed = mail_digests(db, as_of, send, sender=sender, base_url=base_url, clock=clock)
    log.info("reminders as of %s: created %s %s, emailed %s, failed %s%s", as_of, summary.created, summary.by_kind,
             summary.emailed, summary.failed, " (dry run)" if dry_run else "")
    return summary

