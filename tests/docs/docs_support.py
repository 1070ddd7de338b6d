"""Where the docs live: docs/ (hand-written pages, screenshots, and gen.py, the MkDocs hook)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
