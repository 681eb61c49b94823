"""What every command shares: error handling, settings from the environment, and output for people or scripts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, TypeVar

import typer

from outrank import PLATFORMS
from outrank.cli import render
from outrank.config import SYSTEM_PROMPT_CHOICES, PlatformConfig, Settings, load_settings
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


@dataclass
class ScanOptions:
    """Flags that override the config file and the environment for one run."""

    samples: int | None = None
    questions: int | None = None
    platforms: str | None = None
    max_pages: int | None = None
    models: list[str] = field(default_factory=list)  # "platform=model-id"
    system_prompt: str | None = None
    extractor: str | None = None


def settings_from_env(options: ScanOptions | None = None) -> Settings:
    try:
        settings = load_settings()
    except ValueError as exc:
        raise BadInput(f"invalid setting in the environment: {exc}") from exc
    options = options or ScanOptions()
    changes: dict[str, Any] = {}
    if options.samples is not None:
        changes["samples"] = options.samples
    if options.questions is not None:
        changes["question_count"] = options.questions
    if options.max_pages is not None:
        changes["crawl"] = replace(settings.crawl, max_pages=options.max_pages)
    if options.system_prompt is not None:
        if options.system_prompt not in SYSTEM_PROMPT_CHOICES:
            raise BadInput(f"--system-prompt must be one of {', '.join(SYSTEM_PROMPT_CHOICES)}")
        changes["system_prompt"] = options.system_prompt
    if options.extractor is not None:
        if options.extractor not in (*PLATFORMS, "heuristic"):
            raise BadInput("--extractor must be a platform or 'heuristic'")
        changes["extractor"] = options.extractor
    changes["platforms"] = _chosen_platforms(settings, options)
    return settings.with_overrides(**changes) if changes else settings


def _chosen_platforms(settings: Settings, options: ScanOptions) -> dict[str, PlatformConfig]:
    """The configured platforms with --model applied, narrowed to --platforms."""
    configured = dict(settings.platforms)
    for spec in options.models:
        platform, _, model = spec.partition("=")
        if platform not in PLATFORMS or not model.strip():
            raise BadInput(f"--model {spec!r}: write it as PLATFORM=MODEL, e.g. chatgpt=gpt-5.4-mini")
        if platform in configured:
            configured[platform] = replace(configured[platform], model=model.strip())
    if not options.platforms:
        return configured
    wanted = [p.strip() for p in options.platforms.split(",") if p.strip()]
    if unknown := [p for p in wanted if p not in PLATFORMS]:
        raise BadInput(f"unknown platform {', '.join(unknown)}; choose from {', '.join(PLATFORMS)}")
    if missing := [p for p in wanted if p not in configured]:
        raise BadInput(f"no API key for {', '.join(missing)}; set its key or leave it out of --platforms")
    return {p: configured[p] for p in wanted}


def show(data: Any, as_json: bool, for_people: Callable[[Any], None]) -> None:
    if as_json:
        render.print_json(data)
    else:
        for_people(data)
