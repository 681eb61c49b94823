"""Opening the SQLite store: pragmas, migrations, one connection per thread, IMMEDIATE writes."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from outrank.store.migrations import migrations

BUSY_TIMEOUT_MS = 30_000


def utcnow() -> str:
    """Timestamps are stored as ISO 8601 UTC text with a Z, which sorts correctly."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect(path: Path) -> Database:
    """A connection in autocommit mode, so every write transaction is an explicit BEGIN IMMEDIATE."""
    # Each thread gets its own connection (Store); the check is off only so close() can run from the owner.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a checkpointed step must survive power loss, and the write rate is tiny.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


def migrate(db: Database, path: Path) -> None:
    if not migrations.pending(db):
        return
    # Two processes opening a new database at once must not both apply a migration.
    lock_path = path.with_name(path.name + ".migrate-lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        migrations.apply(db)


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock up front.

    A deferred transaction that reads and then writes fails with SQLITE_BUSY at once, ignoring the busy
    timeout, when another writer committed in between; BEGIN IMMEDIATE waits for the lock instead.
    Nested calls become savepoints.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        # An error can already have ended the transaction; rolling back then would mask it.
        conn: sqlite3.Connection = db.conn
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


class Store:
    """Hands each thread its own connection to one database file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[Database] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        migrate(self.db, path)

    @property
    def db(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path)
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    def write(self) -> AbstractContextManager[Database]:
        return write(self.db)

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.conn.close()
            self._all.clear()
        self._local = threading.local()
