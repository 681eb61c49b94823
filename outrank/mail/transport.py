"""Where outbox messages go: an SMTP server (OUTRANK_SMTP_URL) or, by default, a folder of .eml files."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from outrank.errors import BadInput


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage, filename: str) -> str:
        """Deliver the message; return where it went. Raise DeliveryError when it did not."""
        ...


@dataclass
class FolderTransport:
    """The default: each email becomes an .eml file, so a machine without SMTP loses nothing."""

    folder: Path
    name: str = "folder"

    def send(self, message: EmailMessage, filename: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / filename
        partial = path.with_suffix(".partial")
        partial.write_bytes(message.as_bytes())
        partial.replace(path)
        return str(path)


@dataclass
class SmtpTransport:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    name: str = "smtp"

    @classmethod
    def from_url(cls, url: str) -> SmtpTransport:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise BadInput("OUTRANK_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 587)
        except ValueError:
            raise BadInput("OUTRANK_SMTP_URL has an invalid port") from None
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def send(self, message: EmailMessage, filename: str) -> str:
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {list(exc.recipients)}", permanent=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot reach {self.host}:{self.port}: {exc}", permanent=False) from None
        return f"{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        elif self.username or not _is_loopback(self.host):
            smtp.close()
            raise DeliveryError(f"{self.host} does not offer STARTTLS; refusing to send in clear", permanent=False)
        return smtp


def _is_loopback(host: str) -> bool:
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
    except (OSError, ValueError):
        return False


def transport_for(smtp_url: str | None, outbox_dir: Path) -> Transport:
    return SmtpTransport.from_url(smtp_url) if smtp_url else FolderTransport(outbox_dir)
