"""The tools booksync knows: every `Tool` registered under the entry-point group `booksync.tools`.

The built-in tools (ledger, xero, quickbooks) register themselves the same way as any other
package would, in booksync's own pyproject. Loading an entry point imports only the tool's small
`tool` module; its connector, HTTP client or Beancount are imported when first used.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from typing import TypeVar

from booksync.connectors.protocol import ConnectorError
from booksync.connectors.tool import Tool
from booksync.domain.rulebook import Tools
from booksync.errors import BadInput, one_of

GROUP = "booksync.tools"
T = TypeVar("T")


@cache
def tools() -> dict[str, Tool]:
    """kind -> tool, in the order lists show them (`Tool.order`, then kind)."""
    found: dict[str, Tool] = {}
    for point in entry_points(group=GROUP):
        loaded = point.load()
        tool = loaded() if isinstance(loaded, type) else loaded
        if not isinstance(tool, Tool):
            raise TypeError(f"entry point {point.name!r} in {GROUP} is not a booksync Tool")
        if tool.kind != point.name:
            raise TypeError(
                f"entry point {point.name!r} in {GROUP} names a tool of kind {tool.kind!r}"
            )
        found.setdefault(tool.kind, tool)
    return {kind: found[kind] for kind in sorted(found, key=lambda k: (found[k].order, k))}


@cache
def rule_tools() -> Tools:
    """The installed tools as the rules, the engine's gate and the payloads see them: each one's
    label and where it rounds tax (`Tool.tax_rounding`; anything but "document" rounds per line)."""
    installed = tools()
    return Tools(
        {kind: tool.label for kind, tool in installed.items()},
        {
            kind: "document" if tool.tax_rounding == "document" else "line"
            for kind, tool in installed.items()
        },
    )


def kinds() -> list[str]:
    return list(tools())


def tool_for(kind: str, *, field: str = "integration") -> Tool:
    """The tool of `kind`, or BadInput naming the kinds that are installed."""
    text = str(kind).strip().lower()
    found = tools().get(text)
    if found is None:
        raise BadInput(field, kind, "is not an integration", one_of(kinds()))
    return found


def label(kind: str) -> str:
    """The tool's name as people know it; the kind itself for a tool no longer installed."""
    found = tools().get(kind)
    return found.label if found is not None else kind


def guarded(tool: Tool, make: Callable[[], T]) -> T:
    """`make()`, with a tool's missing optional package said as the command that installs it, and a
    tool module missing from this build said plainly; any other missing module is not disguised."""
    try:
        return make()
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        extra = tool.extra_providing(missing)
        if extra is not None:
            raise ConnectorError(
                f"the {tool.label} integration needs the optional '{missing}' package; "
                f"install it with: pip install 'booksync[{extra}]'"
            ) from exc
        package = type(tool).__module__.rpartition(".")[0]
        if exc.name is not None and (exc.name.startswith(package) or package.startswith(exc.name)):
            raise ConnectorError(
                f"the {tool.label} connector is not available in this build"
            ) from exc
        raise
