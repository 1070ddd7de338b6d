"""Running the rules over a record: the evaluator that builds each record's `Evaluation`.

`Evaluator` memoises what documents share (their target, client, products and line facts), so the
health report over a whole book evaluates each client, product and product-use once. What an
evaluation holds (checklist rows, readiness, root causes) is in `checklist`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from booksync.domain.checklist import Check, Evaluation, LineTax, ordered, rank, readiness_of
from booksync.domain.findings import Finding
from booksync.domain.lines import LineUse
from booksync.domain.records import (
    Books,
    DocumentView,
    IntegrationView,
    LineView,
    PartyView,
    ProductView,
    Record,
    TenantView,
)
from booksync.domain.rulebook import Rule, Scope, Target, Tools
from booksync.domain.rules import checklist_for
from booksync.domain.tax import resolve_tax
from booksync.domain.types import EntityType, document_account_kind

__all__ = ["Check", "Evaluation", "Evaluator", "LineTax", "Tools", "evaluate", "readiness_of"]


@dataclass(frozen=True, slots=True)
class _DocumentContext:
    """What the documents of one type and party share: their target, party and line tables."""

    #: The target's and the party's findings, in checklist order.
    head: tuple[Finding, ...]
    party: PartyView | None
    party_key: tuple[object, ...] | None
    tenant: TenantView | None
    line_class: int
    #: (product id, tax rate override) -> the findings of such a line, for lines whose findings
    #: name no party or document: all the line rules read of a line then.
    by_line: dict[tuple[int, int | None], tuple[Finding, ...]]
    target: Target
    #: The rules on each document's own fields, and on its last push: never shared.
    own: tuple[Rule, ...]
    push: tuple[Rule, ...]


class Evaluator:
    """Evaluates records against one snapshot of the books, sharing work between documents.

    What documents share is evaluated once: the target per (type, tenant), the client/supplier
    check per party, and the line checks per product *as used* (the line's tax override, the
    party's tenant and tax rate, never the party itself unless a finding names it). Equal findings
    are interned, so combining a document's parts needs no hashing of findings.
    """

    def __init__(self, books: Books, tools: Tools | None = None) -> None:
        self.books = books
        self.tools = tools if tools is not None else Tools()
        self._own: dict[tuple[EntityType, int], tuple[Finding, ...]] = {}
        self._targets: dict[int | None, Target] = {}
        self._target: dict[tuple[EntityType, int | None], tuple[Finding, ...]] = {}
        self._party: dict[tuple[EntityType, int], tuple[Finding, ...]] = {}
        self._line: dict[tuple[object, ...], tuple[Finding, ...]] = {}
        self._rules: dict[tuple[EntityType, Scope], tuple[Rule, ...]] = {}
        self._interned: dict[Finding, Finding] = {}
        self._classes: dict[EntityType, int] = {}
        self._signatures: dict[tuple[object, ...], int] = {}
        self._contexts: dict[tuple[EntityType, int], _DocumentContext] = {}
        self._by_line: dict[
            tuple[object, ...], dict[tuple[int, int | None], tuple[Finding, ...]]
        ] = {}

    # -- what a record syncs to --------------------------------------------------------------------

    def target(self, record: Record) -> Target:
        if isinstance(record, DocumentView):
            party = self.books.party(record)
            return self._target_for(party.tenant_id if party is not None else None)
        return self._target_for(record.tenant_id)

    def _target_for(self, tenant_id: int | None) -> Target:
        target = self._targets.get(tenant_id)
        if target is None:
            books = self.books
            tenant = books.tenants.get(tenant_id) if tenant_id is not None else None
            if tenant is not None:
                target = Target(books.integrations.get(tenant.integration_id), tenant, self.tools)
            else:
                target = Target(self._sole_integration(), None, self.tools)
            self._targets[tenant_id] = target
        return target

    def _sole_integration(self) -> IntegrationView | None:
        integrations = list(self.books.integrations.values())
        enabled = [i for i in integrations if i.enabled]
        if len(enabled) == 1:
            return enabled[0]
        if not enabled and len(integrations) == 1:
            return integrations[0]
        return None

    # -- the rules, by scope -----------------------------------------------------------------------

    def _scoped(self, entity: EntityType, scope: Scope) -> tuple[Rule, ...]:
        rules = self._rules.get((entity, scope))
        if rules is None:
            rules = checklist_for(entity, scope)
            self._rules[(entity, scope)] = rules
        return rules

    def _intern(self, findings: Iterable[Finding]) -> tuple[Finding, ...]:
        """The findings, each replaced by the first equal one seen (so equal means identical)."""
        interned = self._interned
        return tuple(interned.setdefault(f, f) for f in findings)

    def problems(self, record: Record) -> tuple[Finding, ...]:
        """Every non-passing finding for `record` (memoised for clients, suppliers and products)."""
        if isinstance(record, DocumentView):
            return self._document_problems(record)
        key = (record.type, record.id)
        cached = self._own.get(key)
        if cached is None:
            self._own[key] = ()  # a cycle cannot happen, but never recurse forever
            cached = self._owned_problems(record)
            self._own[key] = cached
        return cached

    def _target_problems(self, entity: EntityType, target: Target) -> tuple[Finding, ...]:
        key = (entity, target.tenant.id if target.tenant else None)
        cached = self._target.get(key)
        if cached is None:
            cached = self._intern(
                f
                for r in self._scoped(entity, Scope.TARGET)
                for f in r.check(self.books, entity, target)
            )
            self._target[key] = cached
        return cached

    def _owned_problems(self, record: PartyView | ProductView) -> tuple[Finding, ...]:
        target = self.target(record)
        found: list[Finding] = list(self._target_problems(record.type, target))
        for r in self._scoped(record.type, Scope.RECORD):
            found.extend(r.check(self.books, record))
        for r in self._scoped(record.type, Scope.OWN):
            found.extend(r.check(self.books, record, target))
        if isinstance(record, ProductView):
            use = LineUse(EntityType.PRODUCT, record, None, target.tenant)
            found.extend(self._line_problems(use, None))
        found.extend(self._push_problems(record))
        return ordered(found)

    def _party_problems(
        self, document: DocumentView, party: PartyView | None
    ) -> tuple[Finding, ...]:
        rules = self._scoped(document.type, Scope.RECORD)
        if party is None:  # the finding names the document itself: nothing to share
            return tuple(f for r in rules for f in r.check(self.books, document, self.problems))
        key = (document.type, party.id)
        cached = self._party.get(key)
        if cached is None:
            cached = self._intern(
                f for r in rules for f in r.check(self.books, document, self.problems)
            )
            self._party[key] = cached
        return cached

    def _context(self, document: DocumentView) -> _DocumentContext:
        """What every document of this type and party shares (memoised while the party exists)."""
        key = (document.type, document.party_id)
        context = self._contexts.get(key)
        if context is not None:
            return context
        entity = document.type
        party = self.books.party(document)
        target = self._target_for(party.tenant_id if party is not None else None)
        tenant = target.tenant
        line_class = self._line_class(entity)
        party_key = self._party_key(party)
        shared = (line_class, party_key, tenant.id if tenant else None)
        by_line = self._by_line.get(shared)
        if by_line is None:
            by_line = self._by_line[shared] = {}
        context = _DocumentContext(
            head=self._target_problems(entity, target) + self._party_problems(document, party),
            party=party,
            party_key=party_key,
            tenant=tenant,
            line_class=line_class,
            by_line=by_line,
            target=target,
            own=self._scoped(entity, Scope.OWN),
            push=self._scoped(entity, Scope.PUSH),
        )
        if party is not None:
            self._contexts[key] = context
        return context

    def _document_problems(self, document: DocumentView) -> tuple[Finding, ...]:
        context = self._context(document)
        found = list(context.head)
        # Most lines are found by product and override in their context's table (a round's
        # documents use a few hundred products); the rest by `_line_key`.
        by_line = context.by_line
        for line in document.lines:
            cached = by_line.get((line.product_id, line.tax_rate_id))
            if cached is None:
                cached = self._document_line(document, context, line)
            found.extend(cached)
        for r in context.own:
            found.extend(r.check(self.books, document, context.target))
        for r in context.push:
            found.extend(r.check(self.books, document))
        if len(found) < 2:
            return tuple(found)
        unique = {id(f): f for f in found}  # interned: identical means equal
        return tuple(sorted(unique.values(), key=rank))

    def _document_line(
        self, document: DocumentView, context: _DocumentContext, line: LineView
    ) -> tuple[Finding, ...]:
        product = self.books.products.get(line.product_id)
        if product is None:
            return ()
        party, tenant = context.party, context.tenant
        key = self._line_key(context.line_class, product, party, line, tenant, document.id)
        cached = self._line.get(key)
        if cached is None:
            use = LineUse(document.type, product, party, tenant, line, document.subject)
            cached = self._line_problems(use, key)
        if key[2] == context.party_key and key[5] is None:  # names neither party nor document
            context.by_line[(line.product_id, line.tax_rate_id)] = cached
        return cached

    def _party_key(self, party: PartyView | None) -> tuple[object, ...] | None:
        """What the line rules read of a document's party, short of naming it."""
        if party is None:
            return None
        dangling = party.tax_rate_id is not None and party.tax_rate_id not in self.books.tax_rates
        return (party.type, party.tenant_id, party.tax_rate_id, party.id if dangling else None)

    def _line_class(self, entity: EntityType) -> int:
        """What the line rules see of a document type: which of them run, and which account side."""
        found = self._classes.get(entity)
        if found is None:
            signature = (
                document_account_kind(entity),
                tuple(r.id for r in self._scoped(entity, Scope.LINE)),
            )
            found = self._signatures.setdefault(signature, len(self._signatures))
            self._classes[entity] = found
        return found

    def _line_key(
        self,
        line_class: int | None,
        product: ProductView,
        party: PartyView | None,
        line: LineView | None,
        tenant: TenantView | None,
        document_id: int | None,
    ) -> tuple[object, ...]:
        """Everything the line rules read about a product's use, and nothing more.

        The party and the document are part of the key only where a finding names them: a party
        in another tenant than the product (the finding names the document, whose line to change),
        or a tax rate (the party's or the line's) that no longer exists. `line_class` is None for
        a product evaluated as a record of its own.
        """
        tax_rates = self.books.tax_rates
        party_key = self._party_key(party)
        cross = (
            party is not None
            and party.tenant_id is not None
            and product.tenant_id is not None
            and party.tenant_id != product.tenant_id
        )
        if cross and party is not None:
            party_key = (party.type, party.tenant_id, party.tax_rate_id, party.id)
        override = line.tax_rate_id if line is not None else None
        dangling = override is not None and override not in tax_rates
        named: object = document_id if dangling else None
        if cross:  # the finding names the document and the line's position
            named = (document_id, line.position if line is not None else None)
        return (
            line_class,
            product.id,
            party_key,
            override,
            tenant.id if tenant else None,
            named,
        )

    def _line_problems(self, use: LineUse, key: tuple[object, ...] | None) -> tuple[Finding, ...]:
        if key is None:
            document = use.document
            key = self._line_key(
                self._line_class(use.entity) if document else None,
                use.product,
                use.party,
                use.line,
                use.tenant,
                document.id if document else None,
            )
        cached = self._line.get(key)
        if cached is None:
            cached = self._intern(
                f
                for r in self._scoped(use.entity, Scope.LINE)
                for f in r.check(self.books, use, self.problems)
            )
            self._line[key] = cached
        return cached

    def _push_problems(self, record: Record) -> Iterable[Finding]:
        for r in self._scoped(record.type, Scope.PUSH):
            yield from r.check(self.books, record)

    def line_uses(
        self, document: DocumentView, party: PartyView | None, target: Target
    ) -> list[LineUse]:
        uses = []
        for line in document.lines:
            product = self.books.products.get(line.product_id)
            if product is not None:
                uses.append(
                    LineUse(document.type, product, party, target.tenant, line, document.subject)
                )
        return uses

    # -- a whole evaluation, for the doctor ---------------------------------------------------------

    def evaluate(self, record: Record, *, with_tax: bool = True) -> Evaluation:
        """The record's findings; `with_tax` adds each line's tax provenance (the doctor shows it)."""
        # A document's target is its context's (`target` would look its party up once more).
        target = (
            self._context(record).target
            if isinstance(record, DocumentView)
            else self.target(record)
        )
        problems = self.problems(record)
        taxes: list[LineTax] = []
        if with_tax and isinstance(record, DocumentView):
            for use in self.line_uses(record, self.books.party(record), target):
                resolution = resolve_tax(
                    self.books,
                    product=use.product,
                    party=use.party,
                    line=use.line,
                    line_source=record.subject,
                )
                taxes.append(
                    LineTax(
                        use.line.position if use.line else None, use.product.subject, resolution
                    )
                )
        elif with_tax and isinstance(record, ProductView):
            taxes.append(LineTax(None, record.subject, resolve_tax(self.books, product=record)))
        return Evaluation(record, target, problems, tuple(taxes))


def evaluate(books: Books, record: Record, tools: Tools | None = None) -> Evaluation:
    """Evaluate one record against the books (`tools` names the installed tools)."""
    return Evaluator(books, tools).evaluate(record)
