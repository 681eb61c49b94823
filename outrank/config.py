"""Where things live and which platforms are configured, resolved from the environment once.

Keys are read here and handed to provider clients only; they are never stored, logged or rendered.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from outrank import PLATFORMS
from outrank.errors import BadInput

KEY_ENV_VARS: dict[str, tuple[str, ...]] = {
    "chatgpt": ("OPENAI_API_KEY",),
    "claude": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "perplexity": ("PERPLEXITY_API_KEY",),
}
BASE_URL_ENV_VARS: dict[str, str] = {
    "chatgpt": "OPENAI_BASE_URL",
    "claude": "ANTHROPIC_BASE_URL",
    "gemini": "GOOGLE_GEMINI_BASE_URL",
    "perplexity": "PERPLEXITY_BASE_URL",
}
DEFAULT_MODELS: dict[str, str] = {
    "chatgpt": "gpt-5.4-mini",
    "claude": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
    "perplexity": "perplexity/sonar",
}
# Seconds per provider call; a hung call fails and is retried instead of stalling the scan.
DEFAULT_TIMEOUTS: dict[str, float] = {"chatgpt": 120.0, "claude": 90.0, "gemini": 90.0, "perplexity": 60.0}
DEFAULT_CONCURRENCY = 4
DEFAULT_SAMPLES = 3
# Reach weights from the original (AI referral-traffic share); configurable per scan.
SYSTEM_PROMPT_CHOICES = ("neutral", "nudge")
DEFAULT_WEIGHTS: dict[str, float] = {"chatgpt": 10, "perplexity": 4, "gemini": 2, "claude": 1}


@dataclass(frozen=True)
class PlatformConfig:
    name: str
    api_key: str = field(repr=False)
    model: str
    base_url: str | None = None
    timeout: float = 60.0
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    initial_wait: float = 1.0
    max_wait: float = 30.0
    # Retry-After longer than this is not waited out; the step fails and can be resumed later.
    max_retry_after: float = 120.0


@dataclass(frozen=True)
class CrawlLimits:
    max_pages: int = 20
    per_host: int = 4
    delay: float = 0.1  # seconds between request starts on one host; robots.txt Crawl-delay can raise it
    timeout: float = 10.0
    max_bytes: int = 2_000_000
    max_redirects: int = 5
    max_sitemaps: int = 10
    max_sitemap_urls: int = 5_000
    max_link_rounds: int = 2  # link-discovery rounds beyond the homepage when sitemaps fall short


@dataclass(frozen=True)
class Settings:
    db_path: Path
    reports_dir: Path
    outbox_dir: Path
    allow_private: bool
    platforms: dict[str, PlatformConfig]
    samples: int = DEFAULT_SAMPLES
    question_count: int = 7
    coverage_threshold: float = 0.7
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    crawl: CrawlLimits = field(default_factory=CrawlLimits)
    lease_seconds: float = 60.0
    analyst: str | None = None
    extractor: str | None = None  # a platform, or "heuristic"; None: the analyst's platform
    system_prompt: str = "neutral"  # or "nudge" (the original tool's "name specific businesses")
    prices: dict[str, dict[str, float]] = field(default_factory=dict)  # per-model overrides of prices.toml
    config_path: Path | None = None
    smtp_url: str | None = field(default=None, repr=False)  # may hold a password: never logged or stored
    mail_from: str = "outrank <reports@outrank.local>"
    admin_email: str | None = None
    report_base_url: str | None = None  # link reports in emails instead of attaching them
    simulated: bool = False

    def analyst_platform(self) -> str | None:
        """The platform that runs the analysis: the configured analyst if it has a key, else the first that does."""
        if self.analyst in self.platforms:
            return self.analyst
        return next((p for p in PLATFORMS if p in self.platforms), None)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("outrank", appauthor=False)) / "outrank.db"


def env_number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise BadInput(f"{name}={raw!r} must not be negative")
    return value


def platform_from_env(name: str, env: dict[str, str], models: dict[str, str] | None = None) -> PlatformConfig | None:
    key = next((env[var] for var in KEY_ENV_VARS[name] if env.get(var)), None)
    if not key:
        return None
    upper = name.upper()
    return PlatformConfig(
        name=name,
        api_key=key,
        model=env.get(f"OUTRANK_{upper}_MODEL") or (models or {}).get(name) or DEFAULT_MODELS[name],
        base_url=env.get(BASE_URL_ENV_VARS[name]) or None,
        timeout=float(env.get(f"OUTRANK_{upper}_TIMEOUT") or DEFAULT_TIMEOUTS[name]),
        concurrency=int(env.get(f"OUTRANK_{upper}_CONCURRENCY") or DEFAULT_CONCURRENCY),
    )


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Defaults, then the config file, then environment variables (flags are applied by the CLI on top)."""
    env = dict(os.environ if env is None else env)
    config_path, config = read_config(env)
    models = config.get("models", {})
    platforms = {name: cfg for name in PLATFORMS if (cfg := platform_from_env(name, env, models))}
    reports_dir = Path(env.get("OUTRANK_REPORTS_DIR") or "reports")
    return Settings(
        db_path=Path(env["OUTRANK_DB"]) if env.get("OUTRANK_DB") else default_db_path(),
        reports_dir=reports_dir,
        outbox_dir=Path(env.get("OUTRANK_OUTBOX_DIR") or reports_dir.parent / "outbox"),
        allow_private=env.get("OUTRANK_ALLOW_PRIVATE") == "1",
        platforms=platforms,
        samples=int(env_number(env, "OUTRANK_SAMPLES", DEFAULT_SAMPLES)),
        lease_seconds=env_number(env, "OUTRANK_LEASE_SECONDS", 60.0),
        retry=RetryPolicy(
            attempts=int(env_number(env, "OUTRANK_RETRY_ATTEMPTS", 4)),
            initial_wait=env_number(env, "OUTRANK_RETRY_WAIT", 1.0),
            max_wait=env_number(env, "OUTRANK_RETRY_MAX_WAIT", 30.0),
        ),
        analyst=env.get("OUTRANK_ANALYST") or config.get("analyst") or None,
        extractor=env.get("OUTRANK_EXTRACTOR") or config.get("extractor") or None,
        system_prompt=env.get("OUTRANK_SYSTEM_PROMPT") or config.get("system_prompt") or "neutral",
        weights=dict(DEFAULT_WEIGHTS) | config.get("weights", {}),
        coverage_threshold=float(config.get("coverage_threshold", 0.7)),
        prices=config.get("prices", {}),
        config_path=config_path,
        smtp_url=env.get("OUTRANK_SMTP_URL") or None,
        mail_from=env.get("OUTRANK_MAIL_FROM") or "outrank <reports@outrank.local>",
        admin_email=env.get("OUTRANK_ADMIN_EMAIL") or None,
        report_base_url=(env.get("OUTRANK_REPORT_BASE_URL") or "").rstrip("/") or None,
        crawl=crawl_limits_from_env(env),
    )


def crawl_limits_from_env(env: dict[str, str]) -> CrawlLimits:
    defaults = CrawlLimits()

    def number(name: str, default: float) -> float:
        return env_number(env, f"OUTRANK_CRAWL_{name}", default)

    return CrawlLimits(
        max_pages=int(number("MAX_PAGES", defaults.max_pages)),
        per_host=int(number("CONCURRENCY", defaults.per_host)),
        delay=number("DELAY", defaults.delay),
        timeout=number("TIMEOUT", defaults.timeout),
        max_bytes=int(number("MAX_BYTES", defaults.max_bytes)),
    )


def missing_keys_message() -> str:
    names = ", ".join(" or ".join(v) for v in KEY_ENV_VARS.values())
    return f"no provider API key is set; set at least one of {names} (or run `outrank demo`)"


CONFIG_KEYS = {
    "models": dict, "weights": dict, "prices": dict, "analyst": str, "extractor": str, "system_prompt": str,
    "coverage_threshold": float,
}  # fmt: skip


def config_file(env: dict[str, str]) -> Path:
    if env.get("OUTRANK_CONFIG"):
        return Path(env["OUTRANK_CONFIG"])
    from platformdirs import user_config_dir

    return Path(user_config_dir("outrank", appauthor=False)) / "config.toml"


def read_config(env: dict[str, str]) -> tuple[Path | None, dict[str, Any]]:
    """The config file's settings, checked; a missing default file is fine, a missing named one is not."""
    path = config_file(env)
    if not path.exists():
        if env.get("OUTRANK_CONFIG"):
            raise BadInput(f"OUTRANK_CONFIG names {path}, which does not exist")
        return None, {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"cannot read config {path}: {exc}") from None
    for key, value in data.items():
        expected = CONFIG_KEYS.get(key)
        if expected is None:
            raise BadInput(f"config {path}: unknown setting {key!r}; known: {', '.join(CONFIG_KEYS)}")
        if not isinstance(value, expected) and not (expected is float and isinstance(value, int)):
            raise BadInput(f"config {path}: {key} must be a {expected.__name__}")
    check_choices(path, data)
    return path, data


def check_choices(where: object, data: dict[str, Any]) -> None:
    for platform in list(data.get("models", {})) + list(data.get("weights", {})):
        if platform not in PLATFORMS:
            raise BadInput(f"config {where}: unknown platform {platform!r}; choose from {', '.join(PLATFORMS)}")
    if data.get("system_prompt", "neutral") not in SYSTEM_PROMPT_CHOICES:
        raise BadInput(f"config {where}: system_prompt must be one of {', '.join(SYSTEM_PROMPT_CHOICES)}")
    if data.get("extractor", "heuristic") not in (*PLATFORMS, "heuristic"):
        raise BadInput(f"config {where}: extractor must be a platform or 'heuristic'")
    for model, price in data.get("prices", {}).items():
        if not isinstance(price, dict) or set(price) - {"input", "output", "search"}:
            raise BadInput(f"config {where}: prices.{model} takes input, output and search (USD)")
