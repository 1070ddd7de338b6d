"""What a product posts when a line uses it: its tax rate and the account codes the tool receives.

The line rules check these, and the payload builders send exactly the same, so a record the doctor
calls ready is the record the tool gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from booksync.domain.records import (
    AccountCodeView,
    Books,
    LineView,
    PartyView,
    ProductView,
    Subject,
    TaxRateView,
    TenantView,
)
from booksync.domain.tax import TaxResolution, resolve_tax
from booksync.domain.types import AccountKind, EntityType, document_account_kind


@dataclass(frozen=True, slots=True)
class LineUse:
    """A product as one document line (or the product record itself) uses it."""

    entity: EntityType
    product: ProductView
    party: PartyView | None
    tenant: TenantView | None
    line: LineView | None = None
    document: Subject | None = None

    @property
    def account_kind(self) -> AccountKind:
        return document_account_kind(self.entity) if self.document else AccountKind.INCOME


def tax_for(books: Books, use: LineUse) -> TaxResolution:
    return resolve_tax(
        books, product=use.product, party=use.party, line=use.line, line_source=use.document
    )


def account_for(books: Books, use: LineUse) -> tuple[AccountCodeView | None, Subject, int | None]:
    """The account code a line posts to, the record that supplies it, and its id (even if dangling)."""
    product = use.product
    income = use.account_kind is AccountKind.INCOME
    own = product.income_account_id if income else product.expense_account_id
    if own is not None:
        return books.account_codes.get(own), product.subject, own
    group = books.item_groups.get(product.item_group_id) if product.item_group_id else None
    if group is not None:
        inherited = group.income_account_id if income else group.expense_account_id
        if inherited is not None:
            return books.account_codes.get(inherited), group.subject, inherited
    return None, product.subject, None


def posting(books: Books, use: LineUse) -> tuple[AccountCodeView | None, TaxRateView | None]:
    """The account code (`account_for`) and tax rate (`tax_for`) a document line sends, memoised
    in `books` by all they read of the line: a round builds the payloads of tens of thousands of
    lines from a few hundred products."""
    product, line, party = use.product, use.line, use.party
    key = (
        product.id,
        use.account_kind,
        line.tax_rate_id if line is not None else None,
        party.tax_rate_id if party is not None else None,
    )
    found = books.postings.get(key)
    if found is None or found[0] is not product:
        found = books.postings[key] = (
            product,
            account_for(books, use)[0],
            tax_for(books, use).rate,
        )
    return found[1], found[2]


def accounts_sent(books: Books, use: LineUse) -> list[AccountCodeView]:
    """The account codes the tool will receive: the document's side of the product; for a product
    record its income account and, when it has one, its expense account (both go to the tool)."""
    account, _, _ = account_for(books, use)
    sent = [account] if account is not None else []
    if use.document is None:
        expense = expense_account(books, use.product)
        if expense is not None and expense not in sent:
            sent.append(expense)
    return sent


def expense_account(books: Books, product: ProductView) -> AccountCodeView | None:
    """The product's purchase account: its own, else its item group's."""
    group = books.item_groups.get(product.item_group_id) if product.item_group_id else None
    expense_id = product.expense_account_id or (group.expense_account_id if group else None)
    return books.account_codes.get(expense_id) if expense_id is not None else None
