"""Mention detection measured on a table of hand-written answer snippets: true mentions, near misses,
possessives, markdown, lists, accents, split names and traps. Precision and recall are asserted, and any
snippet the matcher gets wrong is listed on failure."""

from __future__ import annotations

import pytest

from outrank.mentions import Matcher, cites_domain, split_label

BUSINESSES = {
    "harbour": Matcher("harbourdental.example", "Harbour Dental Studio", ["Harbour Dental"]),
    "lounge": Matcher("loungelovers.com.au", "Lounge Lovers"),
    "ella": Matcher("ellabache.com", "Ella Baché"),
    "best": Matcher("best.com", "Best Co"),
    "future": Matcher("futuresuper.com.au", "Future Super"),
    "notion": Matcher("notion.so", "Notion"),
}

# (business, answer snippet, is it really a mention of that business?)
SNIPPETS: list[tuple[str, str, bool]] = [
    ("harbour", "I'd recommend **Harbour Dental Studio** on Wharf Road.", True),
    ("harbour", "1. Harbour Dental Studio — gentle care for nervous patients", True),
    ("harbour", "[Harbour Dental Studio](https://harbourdental.example/) is popular with families.", True),
    ("harbour", "Harbour Dental's team is friendly and quick.", True),
    ("harbour", "Book online at harbourdental.example/contact before 10am.", True),
    ("harbour", "Visit www.harbourdental.example for opening hours.", True),
    ("harbour", "HARBOUR DENTAL STUDIO offers implants.", True),
    ("harbour", "Try Harbour Dental Studio's emergency line.", True),
    ("harbour", "Options: Smile Bay, Harbour Dental Studio, and Lambton Park.", True),
    ("harbour", "harbourdental is often recommended on forums.", True),
    ("harbour", "See (Harbour Dental Studio) for kids.", True),
    ("harbour", "The most reviewed clinic is Harbour Dental Studio.", True),
    ("harbour", "Harbour\u00a0Dental Studio has late appointments.", True),
    ("harbour", "*Harbour Dental Studio* (Newcastle) — from $99", True),
    ("harbour", "Harbour Dental Studio, Newcastle NSW 2300", True),
    ("harbour", "\u2014 Harbour Dental \u2014 open Saturdays", True),
    ("harbour", "\u201cHarbour Dental Studio\u201d came up in most reviews.", True),
    ("harbour", "[Harbour Dental Studio reviews](https://reviews.example/hds)", True),
    ("harbour", "Our pick: harbour dental studio, for its prices.", True),
    ("harbour", "| Harbour Dental Studio | 4.8 | Newcastle |", True),
    ("harbour", "- **Harbour Dental Studio**: calm, clear prices", True),
    ("harbour", "Harbour Dentalcare is a different clinic in Maitland.", False),
    ("harbour", "Harbourside Dental offers check-ups.", False),
    ("harbour", "Harbor Dental Studio in Sydney is another option.", False),
    ("harbour", "There is good dental care near the harbour.", False),
    ("harbour", "harbourdental.example.org is an unrelated site.", False),
    ("harbour", "myharbourdental.example sells toothbrushes.", False),
    ("harbour", "The studio on the harbour has dental services.", False),
    ("harbour", "Dental Studio Harbour is in Wollongong.", False),
    ("harbour", "Smile Bay Dental and Lambton Park Dental are both good.", False),
    ("harbour", "", False),
    ("harbour", "Harbour Dental Studios Group (UK) runs 40 clinics.", False),
    ("harbour", "HDS is a common abbreviation.", False),
    ("lounge", "Lounge Lovers has a big sale on modular sofas.", True),
    ("lounge", "Check LoungeLovers for sofas.", True),
    ("lounge", "loungelovers.com.au stocks modular sofas.", True),
    ("lounge", "The Lounge-Lovers showroom in Alexandria is huge.", True),
    ("lounge", "| Lounge Lovers | $1,299 |", True),
    ("lounge", "I love lounge chairs and lovers' seats.", False),
    ("lounge", "Lounge Loversville is a song.", False),
    ("lounge", "Lovers Lounge is a bar in Fitzroy.", False),
    ("ella", "Ella Bache salons offer facials.", True),
    ("ella", "ELLA BACHÉ skincare is stocked nationally.", True),
    ("ella", "ellabache.com has a store finder.", True),
    ("ella", "Café Ella Baché in the mall", True),
    ("ella", "Ella Bachelor is a podcast host.", False),
    ("ella", "Bella Baché is a different brand.", False),
    ("ella", "Ella's baché recipe", False),
    ("best", "Best Co has the lowest prices this week.", True),
    ("best", "Shop at best.com today.", True),
    ("best", "Best Co. ships free.", True),
    ("best", "This is the best choice for you.", False),
    ("best", "Best Buy has deals on TVs.", False),
    ("best", "best.company.com is not them.", False),
    ("best", "bestco.com sells coffee.", False),
    ("future", "Future Super is a fossil-free fund.", True),
    ("future", "Compare fees at futuresuper.com.au.", True),
    ("future", "FutureSuper was rated highly.", True),
    ("future", "FUTURE SUPER tops ethical rankings.", True),
    ("future", "Think about the future of super funds.", False),
    ("future", "Future Superannuation Ltd is unrelated.", False),
    ("future", "Super Future Fund invests in tech.", False),
    ("notion", "Notion is a great tool for notes.", True),
    ("notion", "Use notion.so templates for wikis.", True),
    ("notion", "NOTION and Coda are the usual picks.", True),
    ("notion", "I have no notion of time.", False),
    ("notion", "Notional value is a finance term.", False),
]


def test_the_snippet_table_is_large_and_balanced() -> None:
    assert len(SNIPPETS) >= 60
    assert sum(1 for *_, truth in SNIPPETS if truth) >= 30 and sum(1 for *_, truth in SNIPPETS if not truth) >= 25


def precision_recall() -> tuple[float, float, list[tuple[str, str, bool]]]:
    wrong = []
    tp = fp = fn = 0
    for business, text, truth in SNIPPETS:
        found = BUSINESSES[business].find(text).mentioned
        tp += found and truth
        fp += found and not truth
        fn += truth and not found
        if found != truth:
            wrong.append((business, text, truth))
    return tp / (tp + fp), tp / (tp + fn), wrong


def test_precision_and_recall_on_the_snippet_table() -> None:
    precision, recall, wrong = precision_recall()
    print(f"mention detection: precision {precision:.3f}, recall {recall:.3f}, {len(SNIPPETS)} snippets")
    # One known miss stays in the table on purpose: "Harbour Dental Studios Group", a different business whose
    # name contains our alias.
    assert precision >= 0.97 and recall == 1.0, wrong
    assert len(wrong) <= 1, wrong


@pytest.mark.parametrize(
    ("business", "text", "offset", "variant"),
    [
        ("harbour", "Top picks: Smile Bay, then Harbour Dental Studio.", 27, "Harbour Dental Studio"),
        ("ella", "Café Ella Baché (Sydney)", 5, "Ella Baché"),
        ("harbour", "See harbourdental.example or Harbour Dental", 4, "harbourdental.example"),
    ],
)
def test_first_mention_offset_is_in_the_original_text(business: str, text: str, offset: int, variant: str) -> None:
    mention = BUSINESSES[business].find(text)
    assert (mention.offset, mention.variant) == (offset, variant)
    assert text[offset:].casefold().startswith(variant.casefold()[:4])


def test_split_labels_need_real_words_and_own_domain_citations_count_subdomains() -> None:
    assert split_label("loungelovers") == ["lounge", "lovers"]
    assert split_label("canva") is None and split_label("xq7zz") is None
    assert cites_domain(["blog.harbourdental.example"], "harbourdental.example")
    assert cites_domain(["www.harbourdental.example"], "harbourdental.example:8080")
    assert not cites_domain(["notharbourdental.example", "healthdirect.example"], "harbourdental.example")
