"""A lease on a scan: only its holder runs it, and a heartbeat keeps it alive.

A scan whose process died is taken over once its lease expires, or at once when the holder was a process on
this host that no longer exists (SIGKILL leaves no chance to release).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

from outrank.errors import ScanBusy
from outrank.store.db import Store


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(owner: str | None) -> bool:
    """True when the owner was a process on this host that has exited."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lease_is_free(owner: str | None, expires_at: str | None, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return owner is None or expires_at is None or expires_at < _iso(now) or holder_is_dead(owner)


class Lease:
    def __init__(self, store: Store, scan_id: int, ttl: float, owner: str | None = None) -> None:
        self.store = store
        self.scan_id = scan_id
        self.ttl = ttl
        self.owner = owner or new_owner()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        with self.store.write() as db:
            row = db.execute("SELECT lease_owner, lease_expires_at FROM scans WHERE id = ?", [self.scan_id]).fetchone()
            if row is None:
                raise ScanBusy(f"scan {self.scan_id} does not exist")
            owner, expires_at = row
            if owner != self.owner and not lease_is_free(owner, expires_at):
                raise ScanBusy(
                    f"scan {self.scan_id} is being run by another process ({owner}); its lease expires at {expires_at}"
                )
            # The check and the claim share one IMMEDIATE transaction, so two processes cannot both win.
            db.execute(
                "UPDATE scans SET lease_owner = ?, lease_expires_at = ? WHERE id = ?",
                [self.owner, _iso(datetime.now(UTC) + timedelta(seconds=self.ttl)), self.scan_id],
            )

    def heartbeat(self) -> None:
        """Renew the lease; if another process took it (ours had expired), stop claiming it."""
        with self.store.write() as db:
            cursor = db.execute(
                "UPDATE scans SET lease_expires_at = ? WHERE id = ? AND lease_owner = ?",
                [_iso(datetime.now(UTC) + timedelta(seconds=self.ttl)), self.scan_id, self.owner],
            )
            if cursor.rowcount != 1:
                self.lost.set()

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self.heartbeat()

    def __enter__(self) -> Lease:
        self.acquire()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.scan_id}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        with self.store.write() as db:
            db.execute(
                "UPDATE scans SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?",
                [self.scan_id, self.owner],
            )
