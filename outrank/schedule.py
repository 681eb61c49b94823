"""Weekly schedules in the subscriber's own timezone, and the occurrences they produce.

An occurrence is (site, local date of the scheduled weekday). Its UTC instant comes from zoneinfo with fold=0:
a local time that does not exist (spring forward) runs at the first instant after the gap (02:30 -> 03:30),
a time that occurs twice (fall back) runs once, at its first occurrence. Dispatchers compare
"due instant <= now", never "local hour == H", so :30 and :45 zones run at their real local hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlite_utils import Database

from outrank.errors import BadInput
from outrank.store.db import Store

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # 0 = Sunday, as in cron
DEFAULT_DAY, DEFAULT_HOUR, DEFAULT_TZ = 1, 9, "Australia/Sydney"


DAY_WORDS = {name: i for i, name in enumerate(DAY_NAMES)} | {
    full: i for i, full in enumerate(("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))
}


def parse_day(value: str) -> int:
    text = value.strip().lower()
    if text.isdigit() and 0 <= int(text) <= 6:
        return int(text)
    if text in DAY_WORDS:
        return DAY_WORDS[text]
    raise BadInput(f"invalid day {value!r}: use mon..sun, monday..sunday, or 0-6 with 0 = Sunday")


def parse_hour(value: int) -> int:
    if not 0 <= value <= 23:
        raise BadInput(f"invalid hour {value}: use 0-23")
    return value


def parse_tz(value: str) -> ZoneInfo:
    if value not in available_timezones():
        raise BadInput(f"invalid timezone {value!r}: use an IANA name like Australia/Sydney or America/New_York")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"invalid timezone {value!r}") from None


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant with a zone ('2026-03-08T07:00:00Z')."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"invalid instant {value!r}: use ISO 8601 like 2026-03-08T07:00:00Z") from None
    if moment.tzinfo is None:
        raise BadInput(f"instant {value!r} has no timezone: add Z or an offset")
    return moment.astimezone(UTC)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Sunday
    hour: int
    tz: str

    def due_utc(self, local_date: date) -> datetime:
        """The instant of this schedule on a local date (fold=0 covers the DST gap and the repeated hour)."""
        local = datetime.combine(local_date, time(self.hour)).replace(tzinfo=ZoneInfo(self.tz), fold=0)
        return local.astimezone(UTC)

    def _matches(self, day: date) -> bool:
        return (day.weekday() + 1) % 7 == self.weekday

    def latest(self, now: datetime) -> tuple[date, datetime]:
        """The most recent occurrence at or before `now`."""
        today = now.astimezone(ZoneInfo(self.tz)).date()
        for back in range(0, 9):
            day = today - timedelta(days=back)
            if self._matches(day) and self.due_utc(day) <= now:
                return day, self.due_utc(day)
        raise AssertionError("a weekly schedule always has an occurrence in the last 8 days")

    def following(self, now: datetime) -> tuple[date, datetime]:
        """The next occurrence strictly after `now`."""
        today = now.astimezone(ZoneInfo(self.tz)).date()
        for ahead in range(0, 9):
            day = today + timedelta(days=ahead)
            if self._matches(day) and self.due_utc(day) > now:
                return day, self.due_utc(day)
        raise AssertionError("a weekly schedule always has an occurrence in the next 8 days")

    def describe(self) -> str:
        return f"{DAY_NAMES[self.weekday]} {self.hour:02d}:00 {self.tz}"


# -- stored schedules -----------------------------------------------------------------------------------------


def weekly_of(row: dict[str, Any]) -> Weekly:
    return Weekly(int(row["weekday"]), int(row["hour"]), str(row["tz"]))


def schedule_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    weekly = weekly_of(row)
    local_date, due = weekly.following(now)
    local = due.astimezone(ZoneInfo(weekly.tz))
    return {
        "domain": row["domain"],
        "tier": row["tier"],
        "day": DAY_NAMES[weekly.weekday],
        "hour": weekly.hour,
        "tz": weekly.tz,
        "forced": bool(row["forced"]),
        "next_local": local.isoformat(timespec="minutes"),
        "next_utc": iso_z(due),
        "next_local_date": local_date.isoformat(),
    }


def _site_for_schedule(db: Database, target: str | None) -> dict[str, Any]:
    from outrank.subscribers import SiteNotFound, get_site

    if target:
        return get_site(db, target)
    sites = list(db.query("SELECT * FROM sites ORDER BY id"))
    if len(sites) != 1:
        raise SiteNotFound(f"name the site: there are {len(sites)} sites, so DOMAIN cannot be left out")
    return sites[0]


def set_schedule(
    store: Store, target: str | None, *, day: int, hour: int, tz: str, force: bool, now: datetime
) -> dict[str, Any]:
    from outrank.subscribers import PAID_TIERS

    site = _site_for_schedule(store.db, target)
    if site["tier"] not in PAID_TIERS and not force:
        raise BadInput(
            f"{site['domain']} is on the free tier; scheduled scans are for starter, pro and agency "
            f"(`outrank site set-tier {site['domain']} starter`), or add --force"
        )
    stamp = iso_z(now)
    with store.write() as db:
        db.execute(
            "INSERT INTO schedules (site_id, weekday, hour, tz, forced, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id) DO UPDATE SET weekday = excluded.weekday,"
            " hour = excluded.hour, tz = excluded.tz, forced = excluded.forced, updated_at = excluded.updated_at",
            [site["id"], day, hour, tz, int(force), stamp, stamp],
        )
    return show_schedule(store.db, site["domain"], now)


def list_schedules(db: Database, now: datetime) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT s.*, si.domain, si.tier FROM schedules s JOIN sites si ON si.id = s.site_id ORDER BY si.domain"
    )
    return [schedule_view(row, now) for row in rows]


def show_schedule(db: Database, target: str | None, now: datetime) -> dict[str, Any]:
    site = _site_for_schedule(db, target)
    rows = list(db.query("SELECT s.*, ? AS domain, ? AS tier FROM schedules s WHERE site_id = ?",
                         [site["domain"], site["tier"], site["id"]]))  # fmt: skip
    if not rows:
        raise BadInput(f"{site['domain']} has no schedule; add one with `outrank schedule set {site['domain']}`")
    return schedule_view(rows[0], now)


def remove_schedule(store: Store, target: str | None, now: datetime) -> dict[str, Any]:
    shown = show_schedule(store.db, target, now)
    with store.write() as db:
        db.execute("DELETE FROM schedules WHERE site_id = (SELECT id FROM sites WHERE domain = ?)", [shown["domain"]])
    return shown | {"removed": True}
