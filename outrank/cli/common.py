"""What every command shares: error handling, settings from the environment, and output for people or scripts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any, TypeVar

import typer

from outrank import PLATFORMS
from outrank.cli import render
from outrank.config import Settings, load_settings
from outrank.errors import BadInput, OutrankError

F = TypeVar("F", bound=Callable[..., Any])
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout for scripts.")]
EXIT_FOR_STATUS = {"complete": 0, "partial": 0, "failed": 1, "cancelled": 1}


def cli_errors(fn: F) -> F:
    """Turn library errors into one stderr line and the error's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OutrankError as exc:
            render.err.print(f"[red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def settings_from_env(
    samples: int | None = None,
    questions: int | None = None,
    platforms: str | None = None,
    *,
    max_pages: int | None = None,
) -> Settings:
    try:
        settings = load_settings()
    except ValueError as exc:
        raise BadInput(f"invalid setting in the environment: {exc}") from exc
    changes: dict[str, Any] = {}
    if samples is not None:
        changes["samples"] = samples
    if questions is not None:
        changes["question_count"] = questions
    if max_pages is not None:
        changes["crawl"] = replace(settings.crawl, max_pages=max_pages)
    if platforms:
        wanted = [p.strip() for p in platforms.split(",") if p.strip()]
        if unknown := [p for p in wanted if p not in PLATFORMS]:
            raise BadInput(f"unknown platform {', '.join(unknown)}; choose from {', '.join(PLATFORMS)}")
        if missing := [p for p in wanted if p not in settings.platforms]:
            raise BadInput(f"no API key for {', '.join(missing)}; set its key or leave it out of --platforms")
        changes["platforms"] = {p: settings.platforms[p] for p in wanted}
    return settings.with_overrides(**changes) if changes else settings


def show(data: Any, as_json: bool, for_people: Callable[[Any], None]) -> None:
    if as_json:
        render.print_json(data)
    else:
        for_people(data)
