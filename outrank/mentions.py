"""A first mention check: word-boundary, case- and accent-folded matching of the business's names.

#4 deepens this (split domain labels, common-word labels, rank among named businesses).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A bare first label this short or this common is too ambiguous to count on its own.
MIN_LABEL_LENGTH = 5
LIST_ITEM_NAME = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+\*{0,2}([^*\n:—–-]{2,80}?)\*{0,2}\s*(?:[—–:-]|$)", re.MULTILINE)
BOLD_NAME = re.compile(r"\*\*([^*\n]{2,80})\*\*")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True)
class Mention:
    mentioned: bool
    offset: int | None


def name_variants(domain: str, business_name: str | None, aliases: list[str]) -> list[str]:
    host = domain.split(":", 1)[0]
    label = host.split(".", 1)[0]
    variants = [host, *(n for n in [business_name, *aliases] if n and len(n.strip()) >= 3)]
    if len(label) >= MIN_LABEL_LENGTH and not label.isdigit():
        variants.append(label)
    return list(dict.fromkeys(fold(v.strip()) for v in variants))


def find_mention(text: str, variants: list[str]) -> Mention:
    folded = fold(text)
    offsets = []
    for variant in variants:
        match = re.search(rf"(?<![\w.-]){re.escape(variant)}(?![\w-])", folded)
        if match:
            offsets.append(match.start())
    return Mention(bool(offsets), min(offsets) if offsets else None)


def named_businesses(text: str) -> list[str]:
    """Business names an answer lists, in order: list-item leads and bold names."""
    names = [m.group(1) for m in LIST_ITEM_NAME.finditer(text)] + BOLD_NAME.findall(text)
    cleaned = (" ".join(name.strip(" *").split()) for name in names)
    return list(dict.fromkeys(n for n in cleaned if n and not n.endswith("?")))


def competitors_in(text: str, variants: list[str]) -> list[str]:
    return [name for name in named_businesses(text) if not find_mention(name, variants).mentioned]
