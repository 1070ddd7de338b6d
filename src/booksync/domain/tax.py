"""Tax resolution, narrowest level first, with the level and record that supplied the rate.

line override -> client's rate -> product's own rate (or its item group's when "Use Item Group Tax"
is ticked) -> the global default. Each level that was looked at and passed over leaves a note, so the
doctor can say why a broader level was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from booksync.domain.records import (
    Books,
    LineView,
    PartyView,
    ProductView,
    Subject,
    TaxRateView,
)


class TaxLevel(StrEnum):
    LINE = "line"
    CLIENT = "client"
    PRODUCT = "product"
    ITEM_GROUP = "item_group"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class TaxResolution:
    rate: TaxRateView | None
    level: TaxLevel | None
    #: The record that supplied the rate (the line's document, client, product, item group, or the rate).
    source: Subject | None
    #: Levels passed over, in plain words, narrowest first.
    notes: tuple[str, ...] = ()
    #: The record to fix when nothing resolved (the product, or its item group when it defers to one).
    culprit: Subject | None = None

    @property
    def resolved(self) -> bool:
        return self.rate is not None

    def describe(self) -> str:
        if self.rate is None:
            return "no tax rate resolves"
        where = {
            TaxLevel.LINE: "the line's override",
            TaxLevel.CLIENT: f"from {self.source}",
            TaxLevel.PRODUCT: f"from {self.source}",
            TaxLevel.ITEM_GROUP: f"from {self.source} (Use Item Group Tax)",
            TaxLevel.DEFAULT: "the global default",
        }[self.level or TaxLevel.DEFAULT]
        return f"'{self.rate.name}' ({self.rate.percent.normalize():f}%), {where}"


def resolve_tax(
    books: Books,
    *,
    product: ProductView,
    party: PartyView | None = None,
    line: LineView | None = None,
    line_source: Subject | None = None,
) -> TaxResolution:
    """Resolve the tax rate for a product, alone or on a document line for a client or supplier."""
    notes: list[str] = []
    if line is not None and line.tax_rate_id is not None:
        hit = _found(books, notes, line.tax_rate_id, TaxLevel.LINE, line_source)
        if hit:
            return hit
    if party is not None and party.tax_rate_id is not None:
        hit = _found(books, notes, party.tax_rate_id, TaxLevel.CLIENT, party.subject)
        if hit:
            return hit

    # Who to blame when nothing resolves: the product (built only then), or its rateless group.
    culprit: Subject | None = None
    if product.use_item_group_tax:
        group = books.item_groups.get(product.item_group_id) if product.item_group_id else None
        if group is None:
            notes.append(f"{product.subject} ticks Use Item Group Tax but has no item group")
        elif group.tax_rate_id is None:
            notes.append(
                f"{product.subject} ticks Use Item Group Tax but {group.subject} has no tax rate"
            )
            culprit = group.subject
        else:
            hit = _found(books, notes, group.tax_rate_id, TaxLevel.ITEM_GROUP, group.subject)
            if hit:
                return hit
    elif product.tax_rate_id is not None:
        hit = _found(books, notes, product.tax_rate_id, TaxLevel.PRODUCT, product.subject)
        if hit:
            return hit
    else:
        notes.append(f"{product.subject} has no tax rate of its own")

    default = books.default_tax_rate
    if default is not None:
        return TaxResolution(default, TaxLevel.DEFAULT, default.subject, tuple(notes))
    notes.append("there is no global default tax rate")
    return TaxResolution(None, None, None, tuple(notes), culprit or product.subject)


def _found(
    books: Books, notes: list[str], rate_id: int, level: TaxLevel, source: Subject | None
) -> TaxResolution | None:
    """The rate `source` names at `level`, or None with a note when it no longer exists."""
    rate = books.tax_rates.get(rate_id)
    if rate is None:
        notes.append(f"{source} names a tax rate (id {rate_id}) that no longer exists")
        return None
    return TaxResolution(rate, level, source or rate.subject, tuple(notes))
