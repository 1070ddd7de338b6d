"""Layers only point down: domain ← store ← sync/connectors ← services ← cli/api/web.

Reads every module's imports from its source (the AST, so imports inside functions and under
TYPE_CHECKING count too) and fails on any import that points back up:
- the domain imports nothing outside itself but the standard library and Babel;
- the store imports no sync, services, connectors or face;
- the engine (sync) and the connectors import no services or face, and the connectors no sync;
- `booksync.clock` is neutral: it imports nothing from booksync at all.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

FACES = {"cli", "api", "web"}
#: package -> the booksync packages it must never import.
FORBIDDEN: dict[str, set[str]] = {
    "store": {"sync", "services", "connectors"} | FACES,
    "sync": {"services"} | FACES,
    "connectors": {"sync", "services"} | FACES,
}
#: What the domain may import besides itself.
DOMAIN_MAY_USE = set(sys.stdlib_module_names) | {"babel"}

#: Imports still being moved by other work, as (importing module, imported module). Keep this
#: minimal: an entry that is no longer needed fails `test_the_allowlist_holds_nothing_stale`.
ALLOWLIST: set[tuple[str, str]] = set()


def modules(root: Path = SRC / "booksync") -> dict[str, str]:
    """Module name -> source, for every module under `root` (a package as `pkg.__init__`)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        found[".".join(parts)] = path.read_text(encoding="utf-8")
    return found


def imports(name: str, source: str) -> Iterator[str]:
    """Every module `name` imports, relative imports resolved."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                yield ".".join(base + ([node.module] if node.module else []))
            elif node.module:
                yield node.module


def violations(sources: Mapping[str, str]) -> list[tuple[str, str]]:
    """(module, what it imports) for every import that points up a layer."""
    bad = []
    for name, source in sources.items():
        parts = name.split(".")
        layer = parts[1] if len(parts) > 1 else ""
        for target in imports(name, source):
            tparts = target.split(".")
            inside = tparts[0] == "booksync"
            tlayer = tparts[1] if inside and len(tparts) > 1 else ""
            if layer == "domain":
                ok = tlayer == "domain" if inside else tparts[0] in DOMAIN_MAY_USE
            elif layer == "clock":
                ok = not inside
            else:
                ok = not inside or tlayer not in FORBIDDEN.get(layer, set())
            if not ok:
                bad.append((name, target))
    return bad


def test_no_import_points_up_a_layer() -> None:
    found = [v for v in violations(modules()) if v not in ALLOWLIST]
    assert not found, "imports pointing up a layer:\n" + "\n".join(
        f"  {module} imports {target}" for module, target in found
    )


def test_the_allowlist_holds_nothing_stale() -> None:
    stale = ALLOWLIST - set(violations(modules()))
    assert not stale, f"no longer needed, remove from ALLOWLIST: {sorted(stale)}"


@pytest.mark.parametrize(
    ("module", "source", "caught"),
    [
        ("booksync.connectors.fake", "from booksync.sync.pacing import Clock", True),
        ("booksync.connectors.fake", "from booksync.clock import Clock", False),
        ("booksync.sync.fake", "def f():\n    from booksync.services import books", True),
        ("booksync.store.fake", "from ..services.errors import BadInput", True),
        ("booksync.store.fake", "from .models import Client", False),
        ("booksync.sync.__init__", "from ..services import sync", True),
        ("booksync.domain.fake", "import httpx", True),
        ("booksync.domain.fake", "from babel.numbers import list_currencies", False),
        ("booksync.domain.fake", "from booksync.clock import Clock", True),
        ("booksync.clock", "from booksync.domain.types import EntityType", True),
        ("booksync.services.fake", "from booksync.sync.engine import Engine", False),
    ],
)
def test_the_check_catches_what_it_should(module: str, source: str, caught: bool) -> None:
    assert bool(violations({module: source})) is caught


def test_it_reads_the_real_tree() -> None:
    names = modules()
    assert {"booksync.domain.types", "booksync.store.outbox", "booksync.sync.engine"} <= set(names)
    assert (
        "booksync.store.books" in names and "booksync.sync.__init__" in names
    )  # the store→domain mapper lives with the store
