"""One exception hierarchy. The CLI maps these to one stderr line and an exit code."""

from __future__ import annotations


class OutrankError(Exception):
    """An error meant for the user: its message says what went wrong and what to do."""

    exit_code = 1


class BadInput(OutrankError):
    """The user's input is invalid. Nothing has been written."""

    exit_code = 2


class ScanNotFound(BadInput):
    pass


class ScanBusy(OutrankError):
    """Another live process holds the scan's lease."""


class ProviderError(Exception):
    """A provider call failed.

    `transient` errors (timeouts, connection errors, 408/409/429/5xx/529) are retried;
    the rest fail fast because retrying cannot fix them (bad key, retired model, bad request).
    """

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        status: int | None = None,
        transient: bool,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.platform = platform
        self.status = status
        self.transient = transient
        self.retry_after = retry_after

    def __str__(self) -> str:
        code = f" (HTTP {self.status})" if self.status else ""
        return f"{self.platform}{code}: {self.args[0]}"


class InvalidModelOutput(ProviderError):
    """The model answered, but not in the shape the schema asks for.

    Transient: a second sample usually conforms, and the step records every attempt.
    """

    def __init__(self, platform: str, message: str) -> None:
        super().__init__(platform, message, transient=True)


class ScanCancelled(Exception):
    """Raised between steps when a cancel was requested."""
