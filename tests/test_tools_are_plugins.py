"""Nothing outside a tool's package names that tool: no import of it, and no string in code (a
docstring may use a tool as an example) equal to its kind, its label or its third-party packages.
The sample books are data that choose tools on purpose, and are the one exception."""

from __future__ import annotations

import ast
from pathlib import Path

from booksync.connectors.registry import tools

SRC = Path(__file__).resolve().parents[1] / "src" / "booksync"
#: The sample books pick a tool for each tenant: naming tools is what that data is for.
DATA = {SRC / "services" / "sample_data.py"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _names(tool_kind: str) -> set[str]:
    tool = tools()[tool_kind]
    return {tool.kind, tool.label, *tool.extra_packages}


def test_no_module_outside_a_tools_package_names_it() -> None:
    offences = []
    for kind, tool in tools().items():
        package = type(tool).__module__.rpartition(".")[0]
        home = SRC.parent / Path(*package.split("."))
        names = {n.casefold() for n in _names(kind)}
        for path in sorted(SRC.rglob("*.py")):
            if home in path.parents or path in DATA:
                continue
            tree = ast.parse(path.read_text(), str(path))
            docs = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom | ast.Import):
                    modules = (
                        [node.module or ""]
                        if isinstance(node, ast.ImportFrom)
                        else [a.name for a in node.names]
                    )
                    if any(m == package or m.startswith(package + ".") for m in modules):
                        offences.append(f"{path.relative_to(SRC)}:{node.lineno} imports {package}")
                elif (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docs
                    and node.value.strip().casefold() in names
                ):
                    offences.append(f"{path.relative_to(SRC)}:{node.lineno} names {node.value!r}")
    assert offences == []


def test_the_check_can_see_an_offence(tmp_path: Path) -> None:
    tree = ast.parse('"""Xero is fine here."""\nKIND = "xero"\n')
    docs = _docstrings(tree)
    named = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and id(n) not in docs and n.value in _names("xero")
    ]
    assert named == ["xero"]
