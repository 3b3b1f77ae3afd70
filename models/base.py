"""Declarative base, engine and session factory.

SQLite is tuned for several writers (WAL, busy timeout, foreign keys on); both backends give up
waiting for a lock after the same time, and `Database.write()` reports that as `DatabaseBusy`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

WRITE_OPTION = "write_unit_of_work"
READ_ONLY = "read_unit_of_work"  # session.info flag: figures may come from the store (services.reporting.stored)
# How long a write waits for a lock (SQLite's write lock, a PostgreSQL row or table lock). It must
# stay well below gunicorn's worker timeout (60 s, gunicorn.conf.py): a request still waiting when
# the worker is killed gets a bare 500 instead of "busy, try again".
LOCK_TIMEOUT_MS = 10_000
BUSY_MESSAGE = "Hệ thống đang bận, vui lòng thử lại sau giây lát."
_SQLITE_BUSY = ("database is locked", "database table is locked")
_POSTGRES_BUSY = {"55P03", "40001", "40P01"}  # lock_not_available, serialization_failure, deadlock_detected

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatabaseBusy(Exception):
    """A write could not get its lock in time (another write, e.g. an import, holds it); nothing
    was written and the same request may simply be tried again."""

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message)


def is_busy(error: OperationalError) -> bool:
    """Whether the driver gave up waiting for a lock, as opposed to any other failure."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate in _POSTGRES_BUSY or (sqlstate is None and str(error.orig).startswith(_SQLITE_BUSY))


def _tune_sqlite(engine: Engine, lock_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A write unit of work takes the write lock up front (BEGIN IMMEDIATE), so two writers
        # queue on the busy timeout instead of failing when a read lock cannot be upgraded.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": lock_timeout_ms / 1000})
        _tune_sqlite(engine, lock_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"options": f"-c lock_timeout={int(lock_timeout_ms)}"})


class Database:
    """One engine and its sessions; `read()` and `write()` are the only ways to get a session.
    `lock_timeout_ms` is how long a write waits for a lock before `DatabaseBusy`."""

    def __init__(self, url: str, lock_timeout_ms: int = LOCK_TIMEOUT_MS):
        self.url = url
        self.engine = make_engine(url, lock_timeout_ms)
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            session.info[READ_ONLY] = True
            yield session
            session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any error (all-or-nothing).
        Raises DatabaseBusy when a lock (at BEGIN, in a statement or at COMMIT) is not had in time."""
        with self._sessions() as session:
            try:
                session.connection(execution_options={WRITE_OPTION: True})
                yield session
                session.commit()
            except OperationalError as error:
                session.rollback()
                if is_busy(error):
                    raise DatabaseBusy() from error
                raise
            except BaseException:
                session.rollback()
                raise

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load. Without them PostgreSQL plans a fresh
        100 000-row table as if it were empty (nested loops: seconds instead of milliseconds)."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()

    def dispose(self) -> None:
        self.engine.dispose()
