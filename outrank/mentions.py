"""Is the business mentioned in an answer, where first, and under which name?

A match counts on the domain, the domain's first label, the label's split form ("loungelovers" -> "Lounge
Lovers", by wordninja), the business name and its aliases. Matching folds case and accents and respects word
boundaries. Names that are ordinary English words ("best" from best.com) never match as a bare word: such a
label only counts through the full domain or the business name, and a one-word common business name must be
written capitalised ("Notion", not "notion").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

MIN_LABEL_LENGTH = 4
MIN_SPLIT_PART = 3
LIST_ITEM_NAME = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+\*{0,2}([^*\n:—–-]{2,80}?)\*{0,2}\s*(?:[—–:-]|$)", re.MULTILINE)
BOLD_NAME = re.compile(r"\*\*([^*\n]{2,80})\*\*")


def _folded(text: str, *, casefold: bool) -> tuple[str, list[int]]:
    """The text without accents (and case), with the index in `text` of every folded character."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            folded = part.casefold() if casefold else part
            out.append(folded)
            where.extend([index] * len(folded))
    return "".join(out), where


def fold(text: str) -> str:
    return _folded(text, casefold=True)[0]


@cache
def _vocabulary() -> dict[str, float]:
    import wordninja

    return dict(getattr(wordninja.DEFAULT_LANGUAGE_MODEL, "_wordcost", {}))


def is_common_word(word: str) -> bool:
    return word.casefold() in _vocabulary()


def split_label(label: str) -> list[str] | None:
    """'loungelovers' -> ['lounge', 'lovers'], or None when the label does not split into real words."""
    import wordninja

    parts = [str(p) for p in wordninja.split(label)]
    if len(parts) < 2 or any(len(p) < MIN_SPLIT_PART or not is_common_word(p) for p in parts):
        return None
    return parts


@dataclass(frozen=True)
class Mention:
    mentioned: bool
    offset: int | None  # index of the first match in the original text
    variant: str | None = None


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    variant: str
    case_sensitive: bool


class Matcher:
    """The names of one business, compiled once, matched against many answers."""

    def __init__(
        self, domain: str, business_name: str | None = None, aliases: list[str] | tuple[str, ...] = ()
    ) -> None:
        self.domain = domain.split(":", 1)[0].lower().removeprefix("www.")
        self.patterns: list[_Pattern] = []
        self._add_domain(self.domain)
        for name in [business_name, *aliases]:
            if name and len(name.strip()) >= 2:
                self._add_name(" ".join(name.split()))
        label = self.domain.split(".", 1)[0]
        if len(label) >= MIN_LABEL_LENGTH and not label.isdigit() and "." in self.domain:
            if not is_common_word(label):
                # "ours.co.nz" is somebody else's domain, not a mention of the label.
                self._add(label, rf"(?<![\w-]){re.escape(fold(label))}(?![\w-]|\.[a-z0-9])", case_sensitive=False)
            if parts := split_label(label):
                # "Lounge Lovers" counts; "lounge lovers" in a sentence is just words.
                capitalised = r"[\s-]?".join(rf"{re.escape(p[0].upper())}{re.escape(p[1:])}" for p in parts)
                self._add(" ".join(parts), rf"(?<![\w-]){capitalised}(?![\w-])", case_sensitive=True)

    @property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(p.variant for p in self.patterns))

    def _add(self, variant: str, pattern: str, *, case_sensitive: bool) -> None:
        self.patterns.append(_Pattern(re.compile(pattern), variant, case_sensitive))

    def _add_domain(self, domain: str) -> None:
        # www. and subdomains count; a longer domain that merely starts with ours ("ours.example.net") does not.
        self._add(domain, rf"(?<![\w-]){re.escape(fold(domain))}(?![\w-]|\.[a-z0-9])", case_sensitive=False)

    def _add_name(self, name: str) -> None:
        single_common_word = " " not in name and is_common_word(name)
        if single_common_word:
            accentless = _folded(name, casefold=False)[0]
            spellings = "|".join(re.escape(v) for v in dict.fromkeys([accentless, accentless.upper()]))
            self._add(name, rf"(?<![\w-])(?:{spellings})(?![\w-])", case_sensitive=True)
        else:
            self._add(name, rf"(?<![\w-]){re.escape(fold(name))}(?![\w-])", case_sensitive=False)

    def find(self, text: str) -> Mention:
        best: tuple[int, str] | None = None
        views = {flag: _folded(text, casefold=not flag) for flag in (False, True)}
        for pattern in self.patterns:
            folded, where = views[pattern.case_sensitive]
            match = pattern.regex.search(folded)
            if match and (best is None or where[match.start()] < best[0]):
                best = (where[match.start()], pattern.variant)
        return Mention(True, best[0], best[1]) if best else Mention(False, None)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Every (start, end) in the original text where the business is named, merged, for highlighting."""
        found: list[tuple[int, int]] = []
        views = {flag: _folded(text, casefold=not flag) for flag in (False, True)}
        for pattern in self.patterns:
            folded, where = views[pattern.case_sensitive]
            found += [(where[m.start()], where[m.end() - 1] + 1) for m in pattern.regex.finditer(folded) if m.end()]
        return _merge(found)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def cites_domain(citation_domains: list[str], domain: str) -> bool:
    own = domain.split(":", 1)[0].lower().removeprefix("www.")
    return any(d == own or d.endswith("." + own) for d in (c.lower().removeprefix("www.") for c in citation_domains))


def named_businesses(text: str) -> list[str]:
    """Business names an answer lists, in order: list-item leads and bold names (the local heuristic)."""
    names = [m.group(1) for m in LIST_ITEM_NAME.finditer(text)] + BOLD_NAME.findall(text)
    cleaned = (" ".join(name.strip(" *").split()) for name in names)
    return list(dict.fromkeys(n for n in cleaned if n and not n.endswith("?")))
