"""Email through a real SMTP server (aiosmtpd on 127.0.0.1): the completion email's parts, an SMTP outage,
a kill between send and mark, header injection, and the outbox commands."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from outrank.config import load_settings
from outrank.demo.simulator import Fault, SimulatorServer
from outrank.demo.site_server import SiteServer
from outrank.mail.compose import completion_message, header_safe
from outrank.mail.outbox import enqueue, flush
from outrank.mail.transport import SmtpTransport
from outrank.store.db import Store
from tests.conftest import db_rows, run_cli


class Inbox:
    """An aiosmtpd handler that keeps every message; `hold` makes it wait before answering 250."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.received = threading.Event()
        self.hold: threading.Event | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.received.set()
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, 30)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, Controller]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("OUTRANK_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    monkeypatch.setenv("OUTRANK_MAIL_FROM", "outrank reports <reports@outrank.test>")
    yield inbox, controller
    if inbox.hold is not None:
        inbox.hold.set()
    controller.stop()


def test_the_completion_email_arrives_once_with_text_inlined_html_and_the_report(
    providers_env: SimulatorServer, site: SiteServer, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _ = smtp
    result = run_cli("scan", site.url, "--json", "--samples", "1", "--email", "owner@harbour.example")
    assert result.returncode == 0, result.stderr
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "owner@harbour.example" and message["From"] == "outrank reports <reports@outrank.test>"
    assert message["Subject"].startswith(f"AI visibility for {site.url.split('//')[1]}: ")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "What stands out:" in text and "1. " in text
    assert "<style" not in html and 'style="' in html  # every rule inlined, no <style> block left
    attachments = [part.get_filename() for part in message.iter_attachments()]
    assert attachments == [Path(json.loads(result.stdout)["report"]).name]
    row = db_rows("SELECT status, transport, message_id FROM outbox")[0]
    assert row[:2] == ("sent", "smtp") and row[2] == message["Message-ID"]
    assert run_cli("outbox", "flush", "--json").returncode == 0
    assert len(inbox.messages) == 1  # flushing again sends nothing twice


def test_an_smtp_outage_keeps_the_email_and_a_later_flush_sends_it_once(
    providers_env: SimulatorServer, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("OUTRANK_SMTP_URL", f"smtp://127.0.0.1:{port}")
    result = run_cli("scan", site.url, "--json", "--samples", "1", "--email", "owner@harbour.example")
    assert result.returncode == 0 and json.loads(result.stdout)["status"] == "complete"  # mail never fails a scan
    status, attempts, error = db_rows("SELECT status, attempts, last_error FROM outbox")[0]
    assert (status, attempts) == ("pending", 1) and "cannot reach 127.0.0.1" in error
    listed = json.loads(run_cli("outbox", "list", "--json").stdout)
    assert listed[0]["status"] == "pending" and listed[0]["next_attempt_at"]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        store = Store(Path(os.environ["OUTRANK_DB"]))
        later = datetime.now(UTC) + timedelta(minutes=2)
        summary = flush(store, SmtpTransport.from_url(f"smtp://127.0.0.1:{port}"), now=later)
        again = flush(store, SmtpTransport.from_url(f"smtp://127.0.0.1:{port}"), now=later)
        store.close()
    finally:
        controller.stop()
    assert (summary["sent"], again["attempted"], len(inbox.messages)) == (1, 0, 1)
    assert db_rows("SELECT status, attempts FROM outbox") == [("sent", 2)]


def test_a_kill_between_send_and_mark_never_resends(smtp: tuple[Inbox, Controller], tmp_path: Path) -> None:
    inbox, _ = smtp
    inbox.hold = threading.Event()
    settings = load_settings()
    store = Store(settings.db_path)
    message = EmailMessage()
    message["Subject"], message["To"], message["From"] = "hello", "a@b.example", "x@y.example"
    message["Message-ID"] = "<kill-test@outrank.local>"
    message.set_content("body")
    with store.write() as db:
        enqueue(db, key="k1", kind="complete", recipient="a@b.example", message=message, scan_id=None)
    flusher = subprocess.Popen([sys.executable, "-m", "outrank", "outbox", "flush"])
    assert inbox.received.wait(30)  # the server has the message...
    os.kill(flusher.pid, signal.SIGKILL)  # ...and the sender dies before it can record that
    flusher.wait()
    inbox.hold.set()
    assert db_rows("SELECT status FROM outbox") == [("sending",)]
    assert run_cli("outbox", "flush", "--json").returncode == 0
    transport = SmtpTransport.from_url(os.environ["OUTRANK_SMTP_URL"])
    flush(store, transport, now=datetime.now(UTC) + timedelta(hours=1))
    time.sleep(0.2)
    assert len(inbox.messages) == 1  # never sent twice
    status, error = db_rows("SELECT status, last_error FROM outbox")[0]
    assert status == "uncertain" and "not resent automatically" in error
    retried = run_cli("outbox", "retry", "1", "--json")
    assert retried.returncode == 0 and json.loads(retried.stdout)["status"] == "pending"
    assert run_cli("outbox", "retry", "1").returncode == 2  # only failed or uncertain messages
    store.close()


def test_headers_cannot_be_injected_through_names_or_domains(tmp_path: Path) -> None:
    assert header_safe("Acme\r\nBcc: victim@example.com") == "Acme Bcc: victim@example.com"
    settings = load_settings().with_overrides(mail_from="Evil\r\nBcc: x@y.z <a@b.example>")
    scan = {"id": 1, "domain": "evil.example\r\nBcc: victim@example.com", "simulated": False, "status": "complete"}
    metrics = {"overall": {"score": 50.0, "ci_low": 40.0, "ci_high": 60.0}, "scores": [], "competitors": []}
    metrics["overall"] |= {"share_of_voice": None, "citation_rate": None}
    report = tmp_path / "r.html"
    report.write_text("<html></html>")
    message = completion_message(settings, scan, metrics, report, [], "owner@example.com\nCc: other@example.com")
    raw = message.as_bytes().split(b"\n\n", 1)[0].decode()
    assert "\nBcc:" not in raw and "\nCc:" not in raw and raw.count("Subject:") == 1


def test_a_failed_scan_emails_its_subscriber_what_failed(
    providers_env: SimulatorServer, site: SiteServer, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _ = smtp
    for platform in ("chatgpt", "claude", "gemini", "perplexity"):
        providers_env.state.faults.append(Fault(platform, status=503, times=-1))
    result = run_cli("scan", site.url, "--json", "--samples", "1", "--email", "owner@harbour.example")
    assert result.returncode == 1 and json.loads(result.stdout)["status"] == "failed"
    assert [m["Subject"] for m in inbox.messages] == [f"AI visibility scan of {site.url.split('//')[1]} did not finish"]
    body = inbox.messages[0].get_content()
    assert "What failed: no platform answered enough questions" in body and "outrank resume" in body
    assert db_rows("SELECT kind, status FROM outbox") == [("failure", "sent")]


def test_admin_alerts_go_to_the_admin_once(smtp: tuple[Inbox, Controller], monkeypatch: pytest.MonkeyPatch) -> None:
    from outrank.mail.notify import queue_admin_alert

    inbox, _ = smtp
    store = Store(load_settings().db_path)
    assert queue_admin_alert(store, load_settings(), key="x", subject="s", lines=["l"]) is None  # no admin set
    monkeypatch.setenv("OUTRANK_ADMIN_EMAIL", "ops@outrank.test")
    settings = load_settings()
    for _ in range(2):
        sent = queue_admin_alert(
            store, settings, key="failure-rate:2026-12-03", subject="3 of 4 scans failed", lines=["a"]
        )
        assert sent is not None and sent["status"] == "sent"
    store.close()
    assert [(m["To"], m["Subject"]) for m in inbox.messages] == [
        ("ops@outrank.test", "[outrank admin] 3 of 4 scans failed")
    ]
