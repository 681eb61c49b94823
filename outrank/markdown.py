"""Answers rendered as Markdown, safely: raw HTML is escaped, only http(s) and mailto links survive, and the
business's mentions are highlighted without ever building HTML from the answer's text."""

from __future__ import annotations

import re
from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: they cannot occur in real answers
SENTINELS = re.compile(f"[{OPEN}{CLOSE}]")
ATTRIBUTE = re.compile(r'(href|src|title|alt)="([^"]*)"')
SAFE_LINK = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.validateLink = lambda url: bool(SAFE_LINK.match(url.strip()))  # type: ignore[method-assign]
    return parser.disable("image")


def render_answer(text: str, spans: list[tuple[int, int]]) -> Markup:
    """HTML for one answer, with each span wrapped in <mark>."""
    marked = []
    cursor = 0
    for start, end in spans:
        marked += [text[cursor:start], OPEN, text[start:end], CLOSE]
        cursor = end
    marked.append(text[cursor:])
    html = _parser().render("".join(marked))
    html = ATTRIBUTE.sub(lambda m: f'{m.group(1)}="{SENTINELS.sub("", m.group(2))}"', html)
    html = html.replace(OPEN, '<mark class="us">').replace(CLOSE, "</mark>")
    html = html.replace("<a href=", '<a rel="nofollow noopener" href=')
    return Markup(html)  # noqa: S704 - built by markdown-it with raw HTML off; text was escaped by it
