"""The library API behind the CLI: each command calls one of these and renders what it returns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from outrank import PLATFORMS
from outrank.config import KEY_ENV_VARS, Settings, missing_keys_message
from outrank.engine.lease import lease_is_free
from outrank.errors import BadInput, OutrankError, ScanBusy, ScanNotFound
from outrank.exports import full_metrics
from outrank.pipeline import Events, Pipeline
from outrank.providers import Provider, build_provider
from outrank.site.target import Target, check_target_allowed, parse_target
from outrank.store.db import Store, utcnow
from outrank.store.scans import (
    FINISHED,
    create_scan,
    find_sites,
    get_scan,
    latest_unfinished_scan,
    request_cancel,
    update_scan,
    upsert_site,
)

TRIGGERS = ("manual", "scheduled", "rescan", "admin")


def open_store(settings: Settings) -> Store:
    return Store(settings.db_path)


@contextmanager
def _existing_store(settings: Settings, missing: str = "no scans yet") -> Iterator[Store]:
    """Open an existing store; without one, `missing` is bad input and no database is created."""
    if not settings.db_path.exists():
        raise ScanNotFound(f"{missing} (no database at {settings.db_path})")
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def existing_scan(settings: Settings, scan_id: int) -> Iterator[tuple[Store, dict[str, Any]]]:
    """Open the store and load a scan; an unknown id is bad input and leaves no database behind."""
    with _existing_store(settings, f"no scan with id {scan_id}") as store:
        scan = get_scan(store.db, scan_id)
        if scan is None:
            raise ScanNotFound(f"no scan with id {scan_id}")
        yield store, scan


def build_providers(settings: Settings) -> dict[str, Provider]:
    return {name: build_provider(cfg) for name, cfg in settings.platforms.items()}


def _validate_email(email: str | None) -> str | None:
    if email is None:
        return None
    local, _, domain = email.strip().partition("@")
    if not local or "." not in domain or any(ch in email for ch in " \r\n<>,;"):
        raise BadInput(f"invalid email address {email!r}")
    return email.strip()


def _scan_settings(settings: Settings) -> dict[str, Any]:
    """What a scan records about how it was run (never keys or base URLs)."""
    return {
        "platforms": list(settings.platforms),
        "models": {name: cfg.model for name, cfg in settings.platforms.items()},
        "samples": settings.samples,
        "questions": settings.question_count,
        "weights": settings.weights,
        "coverage_threshold": settings.coverage_threshold,
        "analyst": settings.analyst,
        "extractor": settings.extractor or settings.analyst_platform(),
        "system_prompt": settings.system_prompt,
        "max_pages": settings.crawl.max_pages,
    }


def estimate_scan(settings: Settings, target: str) -> dict[str, Any]:
    """The plan and expected cost of `scan TARGET` with these settings; validates, calls nothing, writes nothing."""
    from outrank.doctor import estimate

    parsed = parse_target(target)
    if not settings.platforms:
        raise BadInput(missing_keys_message())
    return {"domain": parsed.domain} | estimate(settings)


def start_scan(
    settings: Settings,
    target: str,
    *,
    email: str | None = None,
    new: bool = False,
    trigger: str = "manual",
    domain: str | None = None,
    events: Events | None = None,
) -> dict[str, Any]:
    """Validate everything first (nothing is written for bad input), then create or resume and run a scan."""
    parsed = parse_target(target)
    if domain:
        parsed = Target(domain=domain, base_url=parsed.base_url)
    recipient = _validate_email(email)
    if trigger not in TRIGGERS:
        raise BadInput(f"invalid trigger {trigger!r}; use one of {', '.join(TRIGGERS)}")
    if settings.samples < 1 or settings.question_count < 1:
        raise BadInput("samples and questions must each be at least 1")
    if not settings.platforms:
        raise BadInput(missing_keys_message())
    if settings.extractor not in (None, "heuristic", *settings.platforms):
        raise BadInput(f"the extractor {settings.extractor} has no API key; set its key or use --extractor heuristic")
    check_target_allowed(parsed, allow_private=settings.allow_private)
    store = open_store(settings)
    try:
        emit = events or (lambda kind, data: None)
        for name in PLATFORMS:
            if name not in settings.platforms:
                emit(
                    "skipped",
                    {"platform": name, "reason": f"no key ({' or '.join(KEY_ENV_VARS[name])} is not set)"},
                )
        if not new and (existing := latest_unfinished_scan(store.db, parsed.domain)):
            if not lease_is_free(existing["lease_owner"], existing["lease_expires_at"]):
                raise ScanBusy(f"scan {existing['id']} of {parsed.domain} is running in another process")
            emit("resumed", {"scan_id": existing["id"]})
            return _run(store, existing["id"], settings, emit)
        site_id = upsert_site(store.db, parsed.domain, parsed.base_url, recipient)
        scan_id = create_scan(
            store.db,
            site_id=site_id,
            domain=parsed.domain,
            target_url=parsed.base_url,
            trigger=trigger,
            recipient=recipient,
            settings=_scan_settings(settings),
            simulated=settings.simulated,
        )
        emit("started", {"scan_id": scan_id})
        return _run(store, scan_id, settings, emit)
    finally:
        store.close()


def _run(store: Store, scan_id: int, settings: Settings, events: Events) -> dict[str, Any]:
    scan = get_scan(store.db, scan_id) or {}
    platforms = json.loads(scan["settings"])["platforms"]
    for name in platforms:
        if name not in settings.platforms:
            events("skipped", {"platform": name, "reason": "its key is no longer set; its calls will fail"})
    Pipeline(store, scan_id, settings, build_providers(settings), events).run()
    return scan_summary(store, scan_id)


def resume_scan(settings: Settings, scan_id: int, events: Events | None = None) -> dict[str, Any]:
    with existing_scan(settings, scan_id) as (store, scan):
        if scan["status"] == "complete":
            return scan_summary(store, scan_id)
        if not lease_is_free(scan["lease_owner"], scan["lease_expires_at"]):
            raise ScanBusy(f"scan {scan_id} is running in another process ({scan['lease_owner']})")
        if scan["status"] == "cancelled":
            update_scan(store, scan_id, cancel_requested=0)
        emit = events or (lambda kind, data: None)
        emit("resumed", {"scan_id": scan_id})
        return _run(store, scan_id, settings, emit)


def cancel_scan(settings: Settings, scan_id: int) -> dict[str, Any]:
    with existing_scan(settings, scan_id) as (store, scan):
        if scan["status"] in FINISHED:
            raise OutrankError(f"scan {scan_id} already finished ({scan['status']})")
        request_cancel(store.db, scan_id)
        if lease_is_free(scan["lease_owner"], scan["lease_expires_at"]):
            # Nobody is running it, so nobody will see the request: cancel it here.
            update_scan(store, scan_id, status="cancelled", error="cancelled by request")
        return scan_summary(store, scan_id)


def rescan(
    settings: Settings, domain_or_email: str, *, skip_email: bool = False, events: Events | None = None
) -> list[dict[str, Any]]:
    store = open_store(settings)
    try:
        sites = find_sites(store.db, domain_or_email.strip())
    finally:
        store.close()
    if not sites:
        raise BadInput(f"no site or subscriber matches {domain_or_email!r}; scan it first with `outrank scan`")
    return [
        start_scan(
            settings,
            site["target_url"],
            domain=site["domain"],
            new=True,
            trigger="rescan",
            email=None if skip_email else site["email"],
            events=events,
        )
        for site in sites
    ]


def _r(value: float | None, digits: int = 1) -> float | None:
    """The one rounding: at display."""
    return None if value is None else round(value, digits)


def scan_summary(store: Store, scan_id: int) -> dict[str, Any]:
    """The `--json` contract of `scan` and `resume`."""
    scan = get_scan(store.db, scan_id)
    if scan is None:
        raise ScanNotFound(f"no scan with id {scan_id}")
    metrics = full_metrics(store.db, scan)
    change, cost = metrics["change"], metrics["cost"]
    report = store.db.execute("SELECT path FROM reports WHERE scan_id = ?", [scan_id]).fetchone()
    place = store.db.execute(
        "SELECT country, region, city, location_confidence FROM site_profiles WHERE scan_id = ?", [scan_id]
    ).fetchone()
    overall = metrics["overall"]
    return {
        "scan_id": scan_id,
        "domain": scan["domain"],
        "status": scan["status"],
        "score": _r(scan["score"]),
        "overall": {
            "score": _r(overall["score"]),
            "ci_low": _r(overall["ci_low"]),
            "ci_high": _r(overall["ci_high"]),
            "answered": overall["answered"],
            "mentioned": overall["mentioned"],
            "cited_without_mention": overall["cited_without_mention"],
            **{k: _r(overall[k], 3) for k in ("prompt_coverage", "share_of_voice", "citation_rate")},
            "average_rank": _r(overall["average_rank"], 2),
            "rank_weighted": _r(overall["rank_weighted"]),
            "change": change and {k: _r(v, 4) if isinstance(v, float) else v for k, v in change.items()},
        },
        "platforms": {s.platform: _platform_json(s.to_json()) for s in metrics["scores"]},
        "competitors": [
            {
                "name": c["name"],
                "mentions": c["mentions"],
                "share_of_voice": _r(c["share_of_voice"], 3),
                "platforms": {
                    p: {"mentions": v["mentions"], "share_of_voice": _r(v["share_of_voice"], 3)}
                    for p, v in c["platforms"].items()
                },
            }
            for c in metrics["competitors"][:10]
        ],
        "cost_usd": round(cost["usd"], 4),
        "unpriced_calls": cost["unpriced_calls"],
        "report": report[0] if report else None,
        "error": scan["error"],
        "simulated": bool(scan["simulated"]),
        "question_source": scan["question_source"],
        "location": dict(zip(("country", "region", "city", "confidence"), place, strict=True)) if place else None,
    }


def _platform_json(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "score": _r(data["score"]),
        "ci_low": _r(data["ci_low"]),
        "ci_high": _r(data["ci_high"]),
        "coverage": _r(data["coverage"], 3),
        "mentioned": data["mentioned"],
        "answered": data["answered"],
        "errors": data["errors"],
        "cited_without_mention": data["cited_unnamed"],
        "available": data["available"],
        "average_rank": _r(data["average_rank"], 2),
        "share_of_voice": _r(data["share_of_voice"], 3),
        "citation_rate": _r(data["citation_rate"], 3),
        "models": data["models"],
    }


def run_details(settings: Settings, scan_id: int) -> dict[str, Any]:
    with existing_scan(settings, scan_id) as (store, scan):
        steps = list(
            store.db.query(
                "SELECT key, status, attempts, started_at, finished_at, error, attempt_log FROM steps"
                " WHERE scan_id = ? ORDER BY started_at, key",
                [scan_id],
            )
        )
        for step in steps:
            step["attempt_log"] = json.loads(step["attempt_log"])
        public = {k: v for k, v in scan.items() if k not in ("settings",)}
        return public | {"settings": json.loads(scan["settings"]), "steps": steps}


def _resolve_scan(store: Store, ref: str) -> dict[str, Any]:
    """A scan id, or a domain (its latest finished scan)."""
    if ref.strip().isdigit():
        scan = get_scan(store.db, int(ref))
        if scan is None:
            raise ScanNotFound(f"no scan with id {ref}")
        return scan
    domain = parse_target(ref).domain
    row = store.db.execute(
        "SELECT id FROM scans WHERE domain = ? AND status IN ('complete', 'partial') ORDER BY id DESC LIMIT 1",
        [domain],
    ).fetchone()
    if row is None:
        raise ScanNotFound(f"no finished scan of {domain}")
    return get_scan(store.db, row[0]) or {}


def rerender_report(settings: Settings, ref: str) -> dict[str, Any]:
    """Render a scan's report again from stored results (and the reports index); nothing is called."""
    from outrank.report import render_index, render_report

    with _existing_store(settings) as store:
        scan = _resolve_scan(store, ref)
        path = render_report(store.db, scan, full_metrics(store.db, scan), settings.reports_dir)
        with store.write() as db:
            db.execute(
                "INSERT INTO reports (scan_id, path, created_at) VALUES (?, ?, ?) ON CONFLICT (scan_id)"
                " DO UPDATE SET path = excluded.path, created_at = excluded.created_at",
                [scan["id"], str(path), utcnow()],
            )
        index = render_index(store.db, settings.reports_dir)
    return {"scan_id": scan["id"], "domain": scan["domain"], "report": str(path), "index": str(index)}


def export(settings: Settings, ref: str, fmt: str) -> str:
    from outrank.exports import export_scan

    if fmt not in ("json", "csv", "md"):
        raise BadInput(f"unknown format {fmt!r}; use json, csv or md")
    with _existing_store(settings) as store:
        scan = _resolve_scan(store, ref)
        return export_scan(store, scan, scan_summary(store, scan["id"]), fmt)


def diff(settings: Settings, first: str, second: str) -> dict[str, Any]:
    from outrank.exports import diff_scans

    with _existing_store(settings) as store:
        return diff_scans(store.db, _resolve_scan(store, first), _resolve_scan(store, second))


def retry_scan(settings: Settings, scan_id: int, steps: list[str], events: Events | None = None) -> dict[str, Any]:
    """An admin retry: forget the chosen steps' checkpoints (and their dependants' final steps), then resume."""
    with existing_scan(settings, scan_id) as (store, _scan), store.write() as db:
        for step in steps:
            db.execute("DELETE FROM steps WHERE scan_id = ? AND (key = ? OR key LIKE ?)", [scan_id, step, f"{step}:%"])
        if steps:
            db.execute("DELETE FROM steps WHERE scan_id = ? AND key IN ('finalize', 'notify')", [scan_id])
            db.execute("UPDATE scans SET status = 'queued' WHERE id = ? AND status = 'complete'", [scan_id])
        db.execute("UPDATE scans SET cancel_requested = 0 WHERE id = ?", [scan_id])
    return resume_scan(settings, scan_id, events=events)
