"""Text colours of the web admin's stylesheet against the backgrounds they are shown on: each pair
at least 4.5:1, WCAG 2.1 AA for normal text (no axe package is installed here, so the stylesheet's
own colours are checked with WCAG's formula: https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import booksync.web

CSS = (Path(booksync.web.__file__).parent / "static" / "app.css").read_text()
COLOURS = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))
WHITE = "#ffffff"
TABLE_HEAD = "#eef2f7"
#: (text, background) as the stylesheet pairs them: badges, verdicts, notices, counts, tiles.
PAIRS = [
    ("ok", "ok-bg"),
    ("ok", "panel"),
    ("ok", "bg"),
    ("bad", "bad-bg"),
    ("bad", "panel"),
    ("wait", "wait-bg"),
    ("wait", "panel"),
    ("unknown", "unknown-bg"),
    ("unknown", "panel"),
    ("muted", "bg"),
    ("muted", "panel"),
    ("ink", "bg"),
]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_formula_gives_the_ratio_axe_reported_for_the_old_green() -> None:
    assert round(contrast("#1b7f3b", "#e6f4ea"), 2) == 4.46  # issue 14: "green at 4.46:1"
    assert round(contrast("#000000", WHITE), 1) == 21.0


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_status_text_is_readable_on_its_background(text: str, background: str) -> None:
    ratio = contrast(COLOURS[text], COLOURS[background])
    assert ratio >= 4.5, f"--{text} on --{background}: {ratio:.2f}:1"


def test_white_text_on_coloured_buttons_and_muted_table_headings_are_readable() -> None:
    for fill in ("ok", "bad", "brand"):
        assert contrast(WHITE, COLOURS[fill]) >= 4.5, fill
    assert contrast(COLOURS["muted"], TABLE_HEAD) >= 4.5
