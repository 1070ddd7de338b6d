"""The matching report: the tool's contacts and items that look like booksync's records.

Before the first create into a company with history, a person wants to know which of the tool's
contacts and items are the records about to be created. Exact matches (booksync's number, the exact
name, the item code: what `booksync tenant import` links by) and look-alikes that differ only in
case, punctuation or a company suffix ("Acme Pty Ltd" / "ACME Pty. Ltd." / "Acme Proprietary
Limited") are listed, each with the command that links it; anything else is kept apart and created.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from booksync.domain.types import EntityType

#: Words that only say what legal form a company has, in the spellings people use: "Acme",
#: "Acme Pty Ltd", "ACME Pty. Ltd." and "Acme Proprietary Limited" are one company's names.
_LEGAL_FORM = frozenset(
    {
        "pty", "proprietary", "ltd", "limited", "inc", "incorporated", "llc", "llp", "plc",
        "corp", "corporation", "co", "company", "gmbh", "ag", "sa", "bv", "nv", "the",
    }
)  # fmt: skip
_PUNCTUATION = re.compile(r"[^\w&]+", re.UNICODE)


def _squeezed(name: str) -> str:
    """Case and punctuation gone, words joined: "Acme Pty. Ltd." -> "acmeptyltd"."""
    return _PUNCTUATION.sub("", name.casefold())


def _folded(name: str) -> str:
    """`_squeezed`, without the words that only give the legal form, "and" as "&":
    "The Acme and Co Proprietary Limited" -> "acme&"."""
    words = _PUNCTUATION.sub(" ", name.casefold().replace("&", " & ")).split()
    kept = ["&" if w == "and" else w for w in words if w not in _LEGAL_FORM]
    return "".join(kept)


def difference(ours: str, theirs: str) -> str | None:
    """How two names differ when they look like one: "exact", "case", "punctuation" or "company
    suffix"; None when they are different names."""
    if ours == theirs:
        return "exact"
    if ours.casefold() == theirs.casefold():
        return "case"
    if _squeezed(ours) and _squeezed(ours) == _squeezed(theirs):
        return "punctuation"
    if _folded(ours) and _folded(ours) == _folded(theirs):
        return "company suffix"
    return None


@dataclass(frozen=True, slots=True)
class Local:
    """A booksync record not linked yet: what a remote object may be matched against."""

    entity: EntityType
    record_id: int
    name: str
    #: booksync's reference in the tool: a party's number, a product's code.
    reference: str


@dataclass(frozen=True, slots=True)
class Remote:
    """A contact or item of the tool not linked to any booksync record."""

    remote_id: str
    name: str
    #: A contact's number or an item's code, as the tool holds it.
    number: str | None
    active: bool = True
    #: The one record type it may link to (None: any, as a Xero contact is customer and supplier).
    entity: EntityType | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A remote object that is, or looks like, one of booksync's records."""

    local: Local
    remote: Remote
    #: What matches: "number", "code", "exact name", or for a look-alike the name's difference.
    evidence: str
    exact: bool

    @property
    def link_command(self) -> str:
        return link_command(self.local.entity, self.local.name, self.remote.remote_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "record": {
                "type": self.local.entity.value,
                "id": self.local.record_id,
                "ref": self.local.name,
                "reference": self.local.reference,
            },
            "remote": {
                "remote_id": self.remote.remote_id,
                "name": self.remote.name,
                "number": self.remote.number,
                "active": self.remote.active,
            },
            "evidence": self.evidence,
            "exact": self.exact,
            "link": self.link_command,
        }


def link_command(entity: EntityType, ref: str, remote_id: str) -> str:
    return f"booksync link {entity.value.replace('_', '-')} {shlex.quote(ref)} {shlex.quote(remote_id)}"


def candidates(locals_: Iterable[Local], remotes: Sequence[Remote]) -> list[Candidate]:
    """Each unlinked record against each unlinked remote object of a kind it may link to: exact
    matches first (number or code, then exact name), then look-alikes, in record order."""
    found: list[Candidate] = []
    for local in locals_:
        exact: list[Candidate] = []
        alike: list[Candidate] = []
        for remote in remotes:
            if remote.entity is not None and remote.entity is not local.entity:
                continue
            if remote.number and remote.number == local.reference:
                kind = "number" if local.entity.is_party else "code"
                exact.append(Candidate(local, remote, kind, True))
                continue
            how = difference(local.name, remote.name)
            if how == "exact":
                exact.append(Candidate(local, remote, "exact name", True))
            elif how is not None:
                alike.append(Candidate(local, remote, f"name differs in {how}", False))
        found += exact + alike
    return found


__all__ = ["Candidate", "Local", "Remote", "candidates", "difference", "link_command"]
