"""Tax resolution, narrowest level first, and the provenance the doctor shows for it.

line override -> client (or supplier) -> product's own rate, or its item group's when "Use Item
Group Tax" is ticked -> the global default. Pure: `Books` is built by hand, no database.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from booksync.domain.records import (
    Books,
    ItemGroupView,
    LineView,
    PartyView,
    ProductView,
    Subject,
    TaxRateView,
)
from booksync.domain.tax import TaxLevel, TaxResolution, resolve_tax
from booksync.domain.types import EntityType

GST = TaxRateView(1, "GST on Income", Decimal("10"))
FREE = TaxRateView(2, "GST Free Income", Decimal("0"))
EXPORT = TaxRateView(3, "Export Sales", Decimal("0.0000"))
STANDARD = TaxRateView(4, "Standard", Decimal("12.50"), is_default=True)
MISSING = 99

BACKUP = ItemGroupView(10, "Backup", tax_rate_id=EXPORT.id)
HARDWARE = ItemGroupView(11, "Hardware", tax_rate_id=None)

CLIENT = PartyView(20, EntityType.CLIENT, "Acme Pty Ltd")
EXEMPT_CLIENT = replace(CLIENT, id=21, name="Overseas Ltd", tax_rate_id=FREE.id)
SUPPLIER = PartyView(22, EntityType.SUPPLIER, "Dicker Data", tax_rate_id=GST.id)

OWN_RATE = ProductView(30, "Support Hour", tax_rate_id=GST.id)
NO_RATE = ProductView(31, "Ad-hoc Work")
GROUP_TAX = ProductView(
    32, "Backup 1TB", item_group_id=BACKUP.id, use_item_group_tax=True, tax_rate_id=GST.id
)
GROUP_WITHOUT_RATE = ProductView(
    33, "Rack Server", item_group_id=HARDWARE.id, use_item_group_tax=True
)
NO_GROUP = ProductView(34, "Loose Cable", use_item_group_tax=True)

INVOICE = Subject("invoice", 40, "INV-1007")


def books(*, default: int | None = STANDARD.id) -> Books:
    return Books(
        integrations={},
        tenants={},
        tax_rates={r.id: r for r in (GST, FREE, EXPORT, STANDARD)},
        account_codes={},
        item_groups={g.id: g for g in (BACKUP, HARDWARE)},
        clients={c.id: c for c in (CLIENT, EXEMPT_CLIENT)},
        suppliers={SUPPLIER.id: SUPPLIER},
        products={},
        default_tax_rate_id=default,
    )


def line(tax_rate_id: int | None = None) -> LineView:
    return LineView(1, OWN_RATE.id, Decimal("2"), Decimal("49.00"), tax_rate_id=tax_rate_id)


def test_a_line_override_wins_over_every_other_level() -> None:
    found = resolve_tax(
        books(), product=GROUP_TAX, party=EXEMPT_CLIENT, line=line(EXPORT.id), line_source=INVOICE
    )
    assert (found.rate, found.level, found.source) == (EXPORT, TaxLevel.LINE, INVOICE)
    assert found.notes == ()
    assert found.describe() == "'Export Sales' (0%), the line's override"


def test_the_client_rate_applies_when_the_line_has_no_override() -> None:
    found = resolve_tax(
        books(), product=OWN_RATE, party=EXEMPT_CLIENT, line=line(), line_source=INVOICE
    )
    assert (found.rate, found.level, found.source) == (FREE, TaxLevel.CLIENT, EXEMPT_CLIENT.subject)
    assert found.describe() == "'GST Free Income' (0%), from client 'Overseas Ltd'"


def test_a_supplier_rate_applies_at_the_client_level_of_a_purchase_order() -> None:
    found = resolve_tax(books(), product=NO_RATE, party=SUPPLIER, line=line())
    assert (found.rate, found.level, found.source) == (GST, TaxLevel.CLIENT, SUPPLIER.subject)


def test_the_product_rate_applies_when_neither_line_nor_client_sets_one() -> None:
    found = resolve_tax(books(), product=OWN_RATE, party=CLIENT, line=line(), line_source=INVOICE)
    assert (found.rate, found.level, found.source) == (GST, TaxLevel.PRODUCT, OWN_RATE.subject)
    assert found.notes == ()
    assert found.describe() == "'GST on Income' (10%), from product 'Support Hour'"


def test_use_item_group_tax_takes_the_group_rate_over_the_product_own() -> None:
    found = resolve_tax(books(), product=GROUP_TAX, party=CLIENT)
    assert (found.rate, found.level, found.source) == (EXPORT, TaxLevel.ITEM_GROUP, BACKUP.subject)
    assert found.describe() == (
        "'Export Sales' (0%), from item group 'Backup' (Use Item Group Tax)"
    )


def test_the_global_default_applies_last_and_says_which_level_was_passed_over() -> None:
    found = resolve_tax(books(), product=NO_RATE, party=CLIENT, line=line())
    assert (found.rate, found.level, found.source) == (
        STANDARD,
        TaxLevel.DEFAULT,
        STANDARD.subject,
    )
    assert found.notes == ("product 'Ad-hoc Work' has no tax rate of its own",)
    assert found.describe() == "'Standard' (12.5%), the global default"


def test_a_product_alone_resolves_without_line_or_client() -> None:
    assert resolve_tax(books(), product=OWN_RATE).level is TaxLevel.PRODUCT
    assert resolve_tax(books(), product=GROUP_TAX).level is TaxLevel.ITEM_GROUP
    assert resolve_tax(books(), product=NO_RATE).level is TaxLevel.DEFAULT


def test_use_item_group_tax_with_a_group_without_rate_falls_to_the_default_with_a_note() -> None:
    found = resolve_tax(books(), product=GROUP_WITHOUT_RATE, party=CLIENT)
    assert (found.rate, found.level) == (STANDARD, TaxLevel.DEFAULT)
    assert found.notes == (
        "product 'Rack Server' ticks Use Item Group Tax but item group 'Hardware' has no tax rate",
    )
    assert found.culprit is None


def test_use_item_group_tax_with_a_group_without_rate_and_no_default_blames_the_group() -> None:
    found = resolve_tax(books(default=None), product=GROUP_WITHOUT_RATE, party=CLIENT)
    assert not found.resolved
    assert (found.rate, found.level, found.source) == (None, None, None)
    assert found.culprit == HARDWARE.subject
    assert found.notes == (
        "product 'Rack Server' ticks Use Item Group Tax but item group 'Hardware' has no tax rate",
        "there is no global default tax rate",
    )
    assert found.describe() == "no tax rate resolves"


def test_use_item_group_tax_without_an_item_group_blames_the_product() -> None:
    found = resolve_tax(books(default=None), product=NO_GROUP)
    assert found.culprit == NO_GROUP.subject
    assert found.notes[0] == "product 'Loose Cable' ticks Use Item Group Tax but has no item group"


def test_nothing_anywhere_and_no_default_is_unresolved_and_blames_the_product() -> None:
    found = resolve_tax(books(default=None), product=NO_RATE, party=CLIENT, line=line())
    assert not found.resolved
    assert found.culprit == NO_RATE.subject
    assert found.notes == (
        "product 'Ad-hoc Work' has no tax rate of its own",
        "there is no global default tax rate",
    )


def test_a_default_that_no_longer_exists_counts_as_no_default() -> None:
    found = resolve_tax(books(default=MISSING), product=NO_RATE)
    assert not found.resolved
    assert found.notes[-1] == "there is no global default tax rate"


@pytest.mark.parametrize(
    ("where", "expected_level", "note"),
    [
        ("line", TaxLevel.CLIENT, "invoice 'INV-1007' names a tax rate (id 99) that no longer exists"),
        ("client", TaxLevel.PRODUCT, "client 'Acme Pty Ltd' names a tax rate (id 99) that no longer exists"),
        ("product", TaxLevel.DEFAULT, "product 'Support Hour' names a tax rate (id 99) that no longer exists"),
        ("item_group", TaxLevel.DEFAULT, "item group 'Backup' names a tax rate (id 99) that no longer exists"),
    ],
)  # fmt: skip
def test_a_dangling_rate_id_falls_through_to_the_next_level_with_a_note(
    where: str, expected_level: TaxLevel, note: str
) -> None:
    base = books()
    product = OWN_RATE if where != "item_group" else GROUP_TAX
    party = CLIENT
    the_line = line(MISSING if where == "line" else None)
    if where == "line":
        party = replace(CLIENT, tax_rate_id=GST.id)
    elif where == "client":
        party = replace(CLIENT, tax_rate_id=MISSING)
    elif where == "product":
        product = replace(OWN_RATE, tax_rate_id=MISSING)
    else:
        base = replace(base, item_groups={BACKUP.id: replace(BACKUP, tax_rate_id=MISSING)})
    found = resolve_tax(base, product=product, party=party, line=the_line, line_source=INVOICE)
    assert found.level is expected_level
    assert found.resolved
    assert found.notes == (note,)


def test_each_level_is_reported_with_the_record_that_supplied_it() -> None:
    """The same product on the same invoice, with each narrower level set in turn."""
    base = books()
    seen: list[tuple[TaxLevel | None, str | None]] = []
    cases: list[TaxResolution] = [
        resolve_tax(base, product=NO_RATE, party=CLIENT, line=line(), line_source=INVOICE),
        resolve_tax(base, product=OWN_RATE, party=CLIENT, line=line(), line_source=INVOICE),
        resolve_tax(base, product=OWN_RATE, party=EXEMPT_CLIENT, line=line(), line_source=INVOICE),
        resolve_tax(
            base, product=OWN_RATE, party=EXEMPT_CLIENT, line=line(EXPORT.id), line_source=INVOICE
        ),
    ]
    for found in cases:
        seen.append((found.level, found.source.ref if found.source else None))
    assert seen == [
        (TaxLevel.DEFAULT, "Standard"),
        (TaxLevel.PRODUCT, "Support Hour"),
        (TaxLevel.CLIENT, "Overseas Ltd"),
        (TaxLevel.LINE, "INV-1007"),
    ]
