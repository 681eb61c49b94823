"""Provider registry. SDKs are imported only when a provider is built, so `outrank --help` stays fast."""

from __future__ import annotations

import importlib

from outrank.config import PlatformConfig
from outrank.providers.base import Answer, Citation, Location, Provider

__all__ = ["Answer", "Citation", "Location", "Provider", "build_provider"]

_IMPLEMENTATIONS = {
    "chatgpt": ("outrank.providers.openai_chatgpt", "ChatGPT"),
    "claude": ("outrank.providers.anthropic_claude", "Claude"),
    "gemini": ("outrank.providers.google_gemini", "Gemini"),
    "perplexity": ("outrank.providers.perplexity", "Perplexity"),
}


def build_provider(config: PlatformConfig) -> Provider:
    module_name, class_name = _IMPLEMENTATIONS[config.name]
    cls: type[Provider] = getattr(importlib.import_module(module_name), class_name)
    return cls(config)
