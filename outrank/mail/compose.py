"""The emails outrank sends: completion (HTML with inlined CSS plus text, report attached or linked), failure
(to the subscriber, once a scan's retries are spent) and admin alerts. Nothing from a website or a model can
add a header: every header value is stripped of control characters, and bodies are autoescaped."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from outrank.config import Settings
from outrank.report import change_sentence

HEADER_UNSAFE = re.compile(r"[\r\n\x00-\x1f\x7f]+")
ATTACH_LIMIT = 5_000_000


def header_safe(value: str) -> str:
    """Text from a website or a model must never be able to add a header line."""
    return HEADER_UNSAFE.sub(" ", value).strip()


def _envelope(settings: Settings, recipient: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = header_safe(subject)
    name, address = parseaddr(header_safe(settings.mail_from))
    message["From"] = formataddr((name, address)) if address else "reports@outrank.local"
    message["To"] = header_safe(recipient)
    message["Message-ID"] = make_msgid(domain="outrank.local")
    return message


def insights(metrics: dict[str, Any], readiness_failures: list[str]) -> list[str]:
    """The three things worth reading first, in plain sentences."""
    scores = [s for s in metrics["scores"] if s.score is not None]
    found: list[str] = []
    if scores:
        best, worst = max(scores, key=lambda s: s.score), min(scores, key=lambda s: s.score)
        if best is worst:
            found.append(f"{best.platform} names you in {best.score:.0f}% of answers.")
        else:
            found.append(
                f"{best.platform} names you most ({best.score:.0f}% of answers); "
                f"{worst.platform} least ({worst.score:.0f}%)."
            )
    ours = metrics["overall"].get("share_of_voice")
    rivals = metrics["competitors"]
    if rivals and ours is not None:
        top = rivals[0]
        if top["share_of_voice"] and top["share_of_voice"] > ours:
            found.append(f"{top['name']} appears in more answers than you ({top['share_of_voice']:.0%} vs {ours:.0%}).")
        else:
            found.append(f"You appear in more answers than any competitor ({ours:.0%}; next: {top['name']}).")
    if readiness_failures:
        count = len(readiness_failures)
        checks = "1 AI-readiness check fails" if count == 1 else f"{count} AI-readiness checks fail, starting with"
        found.append(f"{checks}: {readiness_failures[0]}.")
    else:
        rate = metrics["overall"].get("citation_rate")
        found.append(
            f"Your site is cited in {rate:.0%} of answers that cite sources." if rate is not None
            else "No answer cited any source."
        )  # fmt: skip
    return found[:3]


def completion_message(
    settings: Settings,
    scan: dict[str, Any],
    metrics: dict[str, Any],
    report: Path,
    readiness_failures: list[str],
    recipient: str,
) -> EmailMessage:
    import css_inline

    from outrank.report import environment

    overall = metrics["overall"]
    score = "n/a" if overall["score"] is None else f"{overall['score']:.0f}/100"
    message = _envelope(settings, recipient, f"AI visibility for {scan['domain']}: {score}")
    report_url = f"{settings.report_base_url}/{report.parent.name}/{report.name}" if settings.report_base_url else None
    context = {
        "scan": scan,
        "overall": overall,
        "scores": [s.to_json() for s in metrics["scores"]],
        "change_sentence": change_sentence(metrics.get("change")),
        "insights": insights(metrics, readiness_failures),
        "report_url": report_url,
        "cost": metrics.get("cost"),
    }
    lines = [f"AI visibility for {scan['domain']}: {score}", context["change_sentence"], ""]
    lines += [f"- {s['platform']}: {s['mentioned']} of {s['answered']} answers" for s in context["scores"]]
    lines += ["", "What stands out:", *(f"{i}. {text}" for i, text in enumerate(context["insights"], 1))]
    lines += ["", f"Full report: {report_url}" if report_url else "The full report is attached."]
    message.set_content("\n".join(lines) + "\n")
    html = environment().get_template("email.html.j2").render(**context)
    message.add_alternative(css_inline.inline(html), subtype="html")
    if not report_url and report.is_file() and report.stat().st_size <= ATTACH_LIMIT:
        message.add_attachment(report.read_bytes(), maintype="text", subtype="html", filename=report.name)
    return message


def failure_message(settings: Settings, scan: dict[str, Any], error: str, recipient: str) -> EmailMessage:
    message = _envelope(settings, recipient, f"AI visibility scan of {scan['domain']} did not finish")
    retry = (
        "It will be retried automatically by the next dispatch (at most once a day)."
        if scan.get("trigger") == "scheduled"
        else f"It can be continued from where it stopped with: outrank resume {scan['id']}"
    )
    message.set_content(
        f"Scan {scan['id']} of {scan['domain']} stopped after its retries were spent.\n\n"
        f"What failed: {error}\n\n{retry}\nNothing from this scan was counted as a result.\n"
    )
    return message


def admin_message(settings: Settings, subject: str, lines: list[str]) -> EmailMessage:
    message = _envelope(settings, settings.admin_email or "", f"[outrank admin] {subject}")
    message.set_content("\n".join(lines) + "\n")
    return message
