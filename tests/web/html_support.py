"""Reading the admin's HTML the way assistive technology and a browser would: ids, labels, links."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

#: Form controls a person fills in or ticks (hidden inputs and buttons label themselves).
FILLABLE = {"input", "select", "textarea"}
SELF_LABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}
#: Elements without an end tag: they hold no text.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class Page(HTMLParser):
    """Every element with its attributes and the text inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def by_id(self, element_id: str) -> Element | None:
        return next((e for e in self.elements if e.attrs.get("id") == element_id), None)

    def ids(self) -> list[str]:
        return [e.attrs["id"] for e in self.elements if "id" in e.attrs]

    def with_class(self, name: str, tag: str | None = None) -> list[Element]:
        return [
            e
            for e in self.elements
            if name in e.attrs.get("class", "").split() and (tag is None or e.tag == tag)
        ]

    def notices(self, level: str) -> list[str]:
        """The text of each success, error or info message shown."""
        return [" ".join(e.text.split()) for e in self.with_class(f"notice-{level}")]

    def links(self) -> list[Element]:
        return [e for e in self.elements if e.tag == "a" and "href" in e.attrs]

    def unlabelled_controls(self) -> list[str]:
        """Controls a screen reader could not name: no <label for>, no aria-label(ledby)."""
        labelled = {e.attrs.get("for") for e in self.elements if e.tag == "label"}
        missing = []
        for e in self.elements:
            if e.tag not in FILLABLE:
                continue
            if e.tag == "input" and e.attrs.get("type", "text") in SELF_LABELLED_INPUTS:
                continue
            if e.attrs.get("id") in labelled:
                continue
            if e.attrs.get("aria-label") or e.attrs.get("aria-labelledby"):
                continue
            missing.append(f"<{e.tag} name={e.attrs.get('name')!r} id={e.attrs.get('id')!r}>")
        return missing

    def unnamed_buttons(self) -> list[str]:
        return [
            str(e.attrs)
            for e in self.elements
            if e.tag == "button" and not (e.text.strip() or e.attrs.get("aria-label"))
        ]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page
