"""Figures computed once and served again while nothing they read has changed (issue 17).

A rollup asked for inside a read unit of work (`Database.read()`) goes through `stored`:
- a past day's figures come from `figure_snapshots` (shared by every worker and server), computed
  and stored on the first request; models.figures deletes them when a change dated on or before
  that day commits;
- today's (and any day not yet over) come from a small per-process memo checked against the plan's
  change counter (`figure_versions`, read once per unit of work, before any figure) and keyed by
  the date, so a worker recomputes them only after a change committed anywhere, one computation
  at a time per figure (`_memoized`).

Inside a write unit of work figures are always computed directly: they must see its own changes.
`computed_directly()` turns the store off, which is how the property tests compare both ways.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models import FigureSnapshot, FigureVersion
from models.base import LOCK_TIMEOUT_MS, READ_ONLY, WRITE_OPTION

T = TypeVar("T")
_VERSIONS = "figure_versions"  # session.info: plan id → its counter, as first read in this unit of work
MEMO_SIZE = 512
COMPUTE_WAIT_S = 30  # how long a request waits for another's computation of the same figures
STORE_LOCK_TIMEOUT_MS = 200  # a snapshot that cannot be written at once is simply computed again later
_enabled: ContextVar[bool] = ContextVar("figures_stored", default=True)
_memo: OrderedDict[tuple, "_Entry"] = OrderedDict()
_memo_lock = threading.Lock()
log = logging.getLogger("cds.figures")


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How one kind of figures is kept as text: decode(encode(x)) == x."""

    encode: Callable[[T], str]
    decode: Callable[[str], T]


@contextmanager
def computed_directly() -> Iterator[None]:
    """Within this block every figure is computed from the tables, never read from the store."""
    token = _enabled.set(False)
    try:
        yield
    finally:
        _enabled.reset(token)


IDENTITY: Codec = Codec(lambda value: value, lambda value: value)


def remembered(session: Session, plan_id: int, today: date, key: tuple, compute: Callable[[], T]) -> T:
    """A view's whole answer for the plan as it stands (e.g. the overview's outputs, figures built),
    kept in this process until the plan's counter moves or the day changes. Shared between requests:
    the caller must not modify it."""
    return stored(session, plan_id, None, today, "view", repr(key), compute, IDENTITY)


def clear_memo() -> None:
    with _memo_lock:
        _memo.clear()


def store_applies(session: Session) -> bool:
    """Whether figures may come from what was kept (snapshots, memo, tallies): in a read unit of
    work, outside `computed_directly()`."""
    return _enabled.get() and bool(session.info.get(READ_ONLY))


def figure_version(session: Session, plan_id: int) -> tuple[int, str]:
    """The plan's change counter as this unit of work first saw it, before any figure (with the
    moment it last moved, which a stored snapshot also checks)."""
    versions = session.info.setdefault(_VERSIONS, {})
    if plan_id not in versions:
        row = session.execute(select(FigureVersion.version, FigureVersion.changed_at)
                              .where(FigureVersion.plan_id == plan_id)).first()
        versions[plan_id] = (row.version, row.changed_at.isoformat() if row.changed_at else "") if row else (0, "")
    return versions[plan_id]


def stored(session: Session, plan_id: int, day: date | None, today: date, family: str, kind: str,
           compute: Callable[[], T], codec: Codec[T]) -> T:
    """`compute()` (the figures of `day`, None for live), or the same figures kept from before."""
    if not store_applies(session):
        return compute()
    version = figure_version(session, plan_id)
    if day is not None and day < today:
        body = session.scalar(select(FigureSnapshot.body).where(
            FigureSnapshot.plan_id == plan_id, FigureSnapshot.family == family, FigureSnapshot.day == day,
            FigureSnapshot.kind == kind))
        if body is None:
            body = codec.encode(compute())
            _store(session, plan_id, family, day, kind, body, version)
        return codec.decode(body)
    return _memoized((str(session.get_bind().url), plan_id, today, day, family, kind), version[0], compute, codec)


@dataclass
class _Entry:
    version: int = -1  # the counter the body was computed at (read before computing)
    body: object = None
    computing: threading.Event | None = None  # set when the computation in flight ends


def _memoized(key: tuple, version: int, compute: Callable[[], T], codec: Codec[T]) -> T:
    """Today's figures in this process. A body computed at counter V reflects every change committed
    before V was read, so it serves any request that read a counter up to V. One computation per key
    at a time: a request arriving meanwhile waits for it, then takes its result if recent enough, so
    under a stream of saves a worker recomputes back to back at most, never once per request."""
    while True:
        with _memo_lock:
            entry = _memo.get(key)
            if entry is not None and entry.body is not None and entry.version >= version:
                _memo.move_to_end(key)
                return codec.decode(entry.body)
            if entry is None:
                entry = _memo[key] = _Entry()
                while len(_memo) > MEMO_SIZE:
                    _memo.popitem(last=False)
            running, mine = entry.computing, None
            if running is None:
                running = mine = entry.computing = threading.Event()
        if mine is None:
            if not running.wait(timeout=COMPUTE_WAIT_S):  # a stuck computation: compute this one alone
                return codec.decode(codec.encode(compute()))
            continue
        body = None
        try:
            body = codec.encode(compute())
        finally:
            with _memo_lock:
                if body is not None and version >= entry.version:
                    entry.version, entry.body = version, body
                entry.computing = None
            mine.set()
        return codec.decode(body)


def _store(session: Session, plan_id: int, family: str, day: date, kind: str, body: str,
           seen: tuple[int, str]) -> None:
    """Keep a past day's figures, unless the plan changed since the unit of work read its counter.
    The check and the insert share a transaction that holds the counter row (FOR SHARE), so a
    change committing meanwhile either comes first (then nothing is kept) or waits and then
    deletes what was kept."""
    engine = session.get_bind()
    postgres = engine.dialect.name == "postgresql"
    try:
        with engine.connect() as connection:
            if not postgres:  # wait briefly for SQLite's write lock, not the writers' 10 s
                connection.connection.dbapi_connection.execute(f"PRAGMA busy_timeout={STORE_LOCK_TIMEOUT_MS}")
            try:
                connection = connection.execution_options(**{WRITE_OPTION: True})
                with connection.begin():
                    if postgres:
                        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {STORE_LOCK_TIMEOUT_MS}")
                    dialect = postgresql if postgres else sqlite
                    connection.execute(dialect.insert(FigureVersion).values(plan_id=plan_id, version=0)
                                       .on_conflict_do_nothing(index_elements=[FigureVersion.plan_id]))
                    row = connection.execute(select(FigureVersion.version, FigureVersion.changed_at)
                                             .where(FigureVersion.plan_id == plan_id)
                                             .with_for_update(read=True)).one()
                    if (row.version, row.changed_at.isoformat() if row.changed_at else "") != seen:
                        return
                    connection.execute(dialect.insert(FigureSnapshot).values(
                        plan_id=plan_id, family=family, day=day, kind=kind, body=body, computed_at=datetime.now(),
                        version=seen[0]).on_conflict_do_nothing())
            finally:
                if not postgres:
                    connection.connection.dbapi_connection.execute(f"PRAGMA busy_timeout={LOCK_TIMEOUT_MS}")
    except OperationalError as error:  # busy: another writer holds the lock; computed again next time
        log.info("figures of plan %s on %s not stored: %s", plan_id, day, error.orig)
