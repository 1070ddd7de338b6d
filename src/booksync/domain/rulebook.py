"""The shapes the rules are written in: a rule's description, its scope, and what a check is given.

`rules.py` holds the checklist itself (the table of `RuleInfo` and one check per rule); this module
only says what those are, so that the table reads as data and the evaluator can run any rule the
same way.

Scopes, so that a health report over 100,000 documents evaluates each shared fact once:
- `target`: the integration and tenant a record syncs to;
- `record`: the record itself (a client, supplier or product's flags, a document's client/supplier);
- `line`: a product as used by a document line (or by the product record itself);
- `own`: the record's own fields against its tenant's settings (a document's number, dates and
  currency, a client's currency): checked per record, never shared between documents;
- `push`: what the tool said about the last push of this very record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from booksync.domain.findings import Finding
from booksync.domain.records import IntegrationView, PartyView, ProductView, TenantView
from booksync.domain.totals import TaxRounding
from booksync.domain.types import EntityType


class Scope(StrEnum):
    TARGET = "target"
    RECORD = "record"
    LINE = "line"
    OWN = "own"
    PUSH = "push"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """One question of the checklist, as data: what the doctor asks, of which records, and how."""

    #: Stable: the engine, the API and saved sync jobs refer to a rule by it.
    id: str
    #: The question a person would ask (the brief's wording).
    question: str
    applies_to: frozenset[EntityType]
    scope: Scope
    #: What the doctor shows when the check passes.
    passed: str
    #: Whether "not yet known" holds the record back (True) or is only shown (False).
    holds_when_unknown: bool = True
    #: The headings of the seed guide ("Accounting Tool Not Syncing") this rule answers; empty for
    #: a rule the guide does not have.
    seed: tuple[str, ...] = ()


#: A check: given its rule id and the scope's arguments, the problems it finds (none: it passes).
CheckFn = Callable[..., Iterator[Finding]]

#: How a client, supplier or product stands on its own rules (the dependency rules ask).
Evaluate = Callable[[PartyView | ProductView], tuple[Finding, ...]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule as the evaluator runs it: its description and its check, bound to the rule's id."""

    info: RuleInfo
    check: CheckFn

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def scope(self) -> Scope:
        return self.info.scope


@dataclass(frozen=True)
class Tools:
    """What the rules may say about the installed accounting tools.

    The registry of tool plug-ins sits above the domain, so the layer that evaluates tells the rules
    the tools' names (kind -> label, in the registry's order). Without it a tool is named by its
    kind, and nothing is suggested when no integration is set up.
    """

    labels: Mapping[str, str] = field(default_factory=dict)
    #: kind -> where the tool rounds tax (`Tool.tax_rounding`); a tool not named rounds per line.
    rounding: Mapping[str, TaxRounding] = field(default_factory=dict)

    def label(self, kind: str) -> str:
        return self.labels.get(kind, kind)

    def tax_rounding(self, kind: str | None) -> TaxRounding:
        return self.rounding.get(kind, "line") if kind is not None else "line"

    @property
    def suggested(self) -> str | None:
        """The tool to suggest when none is set up: the first installed one."""
        return next(iter(self.labels), None)


@dataclass(frozen=True, slots=True)
class Target:
    """The integration and tenant a record syncs to, as far as they can be known."""

    integration: IntegrationView | None
    tenant: TenantView | None
    tools: Tools = field(default_factory=Tools)

    @property
    def label(self) -> str:
        """The integration's tool, as people know it ("Xero"); empty without an integration."""
        return self.tools.label(self.integration.kind) if self.integration else ""
