"""What a page says, read with BeautifulSoup: headings, main text, JSON-LD, hreflang, Open Graph, links."""

from __future__ import annotations

import json
from typing import Any

from bs4 import BeautifulSoup, Tag

PAGE_TEXT_LIMIT = 20_000
HEADING_LIMIT = 40
CLIENT_SIDE_TEXT_CHARS = 200
APP_ROOT_IDS = ("root", "app", "__next", "___gatsby", "__nuxt", "svelte")
BOILERPLATE_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "svg", "iframe", "form")
LOCAL_BUSINESS_HINTS = ("LocalBusiness", "Store", "Restaurant", "Dentist", "Physician", "Attorney", "Plumber")


def _clean(text: str | None) -> str | None:
    collapsed = " ".join((text or "").split())
    return collapsed or None


def _node_text(node: Tag | None) -> str | None:
    return _clean(node.get_text(" ", strip=True)) if node is not None else None


def _attr(soup: BeautifulSoup, name: str, attrs: dict[str, Any], attribute: str = "content") -> str | None:
    node = soup.find(name, attrs=attrs)
    value = node.get(attribute) if isinstance(node, Tag) else None
    return _clean(value if isinstance(value, str) else None)


def extract_page(url: str, html: str) -> dict[str, Any]:
    soup = BeautifulSoup(html, "html.parser")
    head_facts = {
        "title": _node_text(soup.title),
        "meta_description": _attr(soup, "meta", {"name": "description"}),
        "canonical": _attr(soup, "link", {"rel": "canonical"}, "href"),
        "lang": _clean(str(soup.html.get("lang"))) if soup.html and soup.html.get("lang") else None,
        "h1": _node_text(soup.find("h1")),
        "h1_count": len(soup.find_all("h1")),
        "headings": [
            {"level": int(node.name[1]), "text": text}
            for node in soup.find_all(["h2", "h3"])
            if (text := _node_text(node))
        ][:HEADING_LIMIT],
        "json_ld": json_ld_entities(soup),
        "hreflang": [
            {"lang": str(link.get("hreflang")).strip(), "href": str(link.get("href") or "")}
            for link in soup.find_all("link", hreflang=True)
        ],
        "open_graph": {
            str(meta.get("property"))[3:]: str(meta.get("content") or "").strip()
            for meta in soup.find_all("meta", property=lambda p: bool(p) and str(p).startswith("og:"))
        },
        "links": [str(a.get("href")) for a in soup.find_all("a", href=True)],
    }
    empty_app_root = _has_empty_app_root(soup)
    has_scripts = bool(soup.find("script", src=True)) or any(
        len(script.get_text()) > 1000 for script in soup.find_all("script")
    )
    for tag in soup(BOILERPLATE_TAGS):
        tag.decompose()
    main = soup.find("main") or soup.body or soup
    text = _node_text(main) or ""
    body_text = _node_text(soup.body or soup) or ""
    return {
        "url": url,
        **head_facts,
        "text": text[:PAGE_TEXT_LIMIT],
        "word_count": len(text.split()),
        # Short pages exist; a near-empty body that loads scripts is one built in the browser.
        "client_side": empty_app_root or (has_scripts and len(body_text) < CLIENT_SIDE_TEXT_CHARS),
    }


def _has_empty_app_root(soup: BeautifulSoup) -> bool:
    for root_id in APP_ROOT_IDS:
        node = soup.find(id=root_id)
        if isinstance(node, Tag) and not _node_text(node):
            return True
    return False


# -- JSON-LD ------------------------------------------------------------------------------------------


def json_ld_entities(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """Each JSON-LD node (including @graph members), reduced to the facts a business profile needs."""
    entities: list[dict[str, Any]] = []
    for script in soup.find_all("script", type=lambda t: bool(t) and "ld+json" in str(t).lower()):
        try:
            data = json.loads(script.string or script.get_text() or "null", strict=False)
        except ValueError:
            entities.append({"types": [], "error": "invalid JSON-LD"})
            continue
        entities.extend(_entity(node) for node in _nodes(data))
    return [entity for entity in entities if entity.get("types") or entity.get("error")]


def _nodes(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [node for item in data for node in _nodes(item)]
    if isinstance(data, dict):
        return [data, *_nodes(data["@graph"])] if "@graph" in data else [data]
    return []


def _types(node: dict[str, Any]) -> list[str]:
    raw = node.get("@type", [])
    values = raw if isinstance(raw, list) else [raw]
    return [str(v).rsplit("/", 1)[-1] for v in values if v]


def _names(value: Any) -> list[str]:
    """Names out of a string, a {name: …} object or a list of either."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        for key in ("name", "itemOffered", "addressLocality", "@id"):
            if key in value:
                return _names(value[key])
    return []


def _address(value: Any) -> dict[str, str] | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return {"text": value.strip()}
    if not isinstance(value, dict):
        return None
    keys = ("streetAddress", "addressLocality", "addressRegion", "postalCode", "addressCountry")
    address = {}
    for key in keys:
        part = value.get(key)
        if isinstance(part, dict):
            part = part.get("name") or part.get("@id")
        if part:
            address[key] = str(part).strip()
    return address or None


def _catalog_items(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return _names(value)
    items = value.get("itemListElement", [])
    names: list[str] = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict) and "itemListElement" in item:
            names.extend(_catalog_items(item))
        elif isinstance(item, dict) and "itemOffered" in item:
            names.extend(_names(item["itemOffered"]))
        else:
            names.extend(_names(item))
    return names


def _entity(node: dict[str, Any]) -> dict[str, Any]:
    entity: dict[str, Any] = {"types": _types(node)}
    for key in ("name", "legalName", "alternateName", "telephone", "url", "priceRange", "description"):
        if names := _names(node.get(key)):
            entity[key] = names if key == "alternateName" else names[0]
    if address := _address(node.get("address")):
        entity["address"] = address
    served = _names(node.get("areaServed")) + _names(node.get("serviceArea"))
    if served:
        entity["area_served"] = served
    offers = _names(node.get("makesOffer")) + _names(node.get("offers")) + _catalog_items(node.get("hasOfferCatalog"))
    if offers:
        entity["offers"] = list(dict.fromkeys(offers))
    if same_as := _names(node.get("sameAs")):
        entity["same_as"] = same_as
    return entity


def is_business_entity(entity: dict[str, Any]) -> bool:
    return any(
        t in ("Organization", "Corporation", "OnlineBusiness", "ProfessionalService")
        or any(hint in t for hint in LOCAL_BUSINESS_HINTS)
        or t.endswith("Business")
        for t in entity.get("types", [])
    )
