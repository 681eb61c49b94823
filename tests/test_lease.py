from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from outrank.engine.lease import Lease, new_owner
from outrank.errors import ScanBusy
from outrank.store.db import Store
from outrank.store.scans import get_scan
from tests.conftest import new_scan


@pytest.fixture
def store_and_scan(tmp_path: Path) -> tuple[Store, int]:
    store, scan = new_scan(tmp_path / "lease.db")
    return store, scan


def test_two_holders_never_run_the_same_scan(store_and_scan: tuple[Store, int]) -> None:
    store, scan = store_and_scan
    with Lease(store, scan, ttl=30), pytest.raises(ScanBusy, match="another process"):
        Lease(store, scan, ttl=30, owner="otherhost:1:abc").acquire()
    # Released on exit, so the next holder gets it.
    Lease(store, scan, ttl=30, owner="otherhost:1:abc").acquire()


def test_an_expired_lease_can_be_taken_over(store_and_scan: tuple[Store, int]) -> None:
    store, scan = store_and_scan
    Lease(store, scan, ttl=0.2, owner="otherhost:99:dead").acquire()
    with pytest.raises(ScanBusy):
        Lease(store, scan, ttl=30).acquire()
    time.sleep(0.3)
    taker = Lease(store, scan, ttl=30)
    taker.acquire()
    assert get_scan(store.db, scan)["lease_owner"] == taker.owner


def test_a_lease_held_by_a_dead_local_process_is_free_at_once(store_and_scan: tuple[Store, int]) -> None:
    store, scan = store_and_scan
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    owner = new_owner().split(":")
    Lease(store, scan, ttl=3600, owner=f"{owner[0]}:{child.pid}:gone").acquire()
    Lease(store, scan, ttl=30).acquire()


def test_heartbeat_extends_and_detects_a_lost_lease(store_and_scan: tuple[Store, int]) -> None:
    store, scan = store_and_scan
    lease = Lease(store, scan, ttl=30)
    lease.acquire()
    before = get_scan(store.db, scan)["lease_expires_at"]
    time.sleep(0.01)
    lease.heartbeat()
    assert get_scan(store.db, scan)["lease_expires_at"] > before
    with store.write() as db:
        db.execute("UPDATE scans SET lease_owner = 'thief:1:x' WHERE id = ?", [scan])
    lease.heartbeat()
    assert lease.lost.is_set()
