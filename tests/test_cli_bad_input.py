"""Every rejected input: one line naming the field, the value and what is accepted; exit code 2;
and not a single row of the store changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booksync.domain.types import EntityType
from booksync.services.errors import BadInput
from booksync.services.records import CLIENTS, DOCUMENTS
from booksync.store.db import Store
from booksync.store.models import Document
from cli_support import invoke, ok, seed, snapshot

LINE = "Backup 1TB:1"

# (id, command, what the error line must contain: the field, the value, and what is accepted)
CASES = [
    ("unknown client", ["invoice", "add", "INV-2", "--client", "Nobody", "--line", LINE],
     ["--client", "'Nobody'", "is not a known client", "'Base Client'"]),
    ("unknown supplier", ["purchase-order", "add", "PO-2", "--supplier", "Nobody", "--line", LINE],
     ["--supplier", "'Nobody'", "'Base Supplier'"]),
    ("unknown product on a line", ["invoice", "add", "INV-2", "--client", "Base Client",
                                   "--line", LINE, "--line", "Backup 9TB:1"],
     ["--line 'Backup 9TB:1' product", "'Backup 9TB'", "'Backup 1TB'"]),
    ("unknown tax rate", ["client", "edit", "Base Client", "--tax-rate", "VAT"],
     ["--tax-rate", "'VAT'", "'GST Free'"]),
    ("unknown account code", ["product", "edit", "Backup 1TB", "--income-account", "999"],
     ["--income-account", "'999'", "'200', '300'"]),
    ("unknown record to edit", ["client", "edit", "Nobody", "--email", "a@b.test"],
     ["client", "'Nobody'", "is not a known client", "'Base Client'"]),
    ("unknown tenant", ["product", "add", "Widget", "--tenant", "Acme UK"],
     ["--tenant", "'Acme UK'", "'Acme AU'"]),
    ("malformed price", ["product", "add", "Widget", "--price", "12.x"],
     ["--price", "'12.x'", "not a number", "49.00"]),
    ("malformed unit price on a line", ["invoice", "add", "INV-2", "--client", "Base Client",
                                        "--line", "Backup 1TB:1:4O.00"],
     ["--line 'Backup 1TB:1:4O.00' unit_price", "'4O.00'", "a decimal amount"]),
    ("negative price", ["product", "add", "Widget", "--price", "-5"],
     ["--price", "'-5'", "negative", "0 or more"]),
    ("negative cost", ["product", "edit", "Backup 1TB", "--cost", "-0.01"],
     ["--cost", "'-0.01'", "0 or more"]),
    ("too many decimal places", ["product", "add", "Widget", "--price", "1.23456"],
     ["--price", "'1.23456'", "at most 4"]),
    ("duplicate invoice number", ["invoice", "add", "INV-1", "--client", "Base Client",
                                  "--line", LINE],
     ["number", "'INV-1'", "already used by another invoice", "a number no other invoice uses"]),
    ("duplicate number on edit", ["invoice", "edit", "INV-3", "--number", "INV-1"],
     ["--number", "'INV-1'", "already used"]),
    ("duplicate client name", ["client", "add", "Base Client"],
     ["name", "'Base Client'", "already used", "a name not in use"]),
    ("unknown entity type", ["integration", "configure", "xero", "--entities", "client,widget"],
     ["--entities", "'widget'", "is not an entity type", "sales_order"]),
    ("unknown integration", ["integration", "enable", "sage"],
     ["integration", "'sage'", "'ledger', 'xero', 'quickbooks'"]),
    ("unknown integration for a tenant", ["tenant", "add", "Acme UK", "--integration", "myob"],
     ["--integration", "'myob'", "'xero'"]),
    ("unknown currency", ["client", "add", "Widget Co", "--currency", "XYZ"],
     ["--currency", "'XYZ'", "ISO 4217", "AUD"]),
    ("bad email", ["client", "add", "Widget Co", "--email", "ap.widget.test"],
     ["--email", "'ap.widget.test'", "name@example.com"]),
    ("bad date", ["invoice", "add", "INV-2", "--client", "Base Client", "--line", LINE,
                  "--date", "2025-02-30"],
     ["--date", "'2025-02-30'", "YYYY-MM-DD"]),
    ("bad due date", ["invoice", "edit", "INV-1", "--due", "next week"],
     ["--due", "'next week'", "YYYY-MM-DD"]),
    ("due before issue", ["invoice", "edit", "INV-1", "--date", "2025-07-01", "--due", "2025-06-30"],
     ["--due", "'2025-06-30'", "before the issue date", "2025-07-01 or later"]),
    ("quantity 0", ["invoice", "add", "INV-2", "--client", "Base Client", "--line", "Backup 1TB:0"],
     ["--line 'Backup 1TB:0' quantity", "'0'", "greater than 0"]),
    ("negative quantity", ["invoice", "add", "INV-2", "--client", "Base Client",
                           "--line", "Backup 1TB:-1"],
     ["--line 'Backup 1TB:-1' quantity", "'-1'", "0 or more"]),
    ("line without quantity", ["invoice", "add", "INV-2", "--client", "Base Client",
                               "--line", "Backup 1TB"],
     ["--line", "'Backup 1TB'", "PRODUCT:QUANTITY[:UNIT_PRICE[:TAX_RATE]]"]),
    ("unknown status", ["invoice", "edit", "INV-1", "--status", "sent"],
     ["--status", "'sent'", "'draft'", "'voided'"]),
    ("unknown account kind", ["account-code", "add", "Revenue", "--kind", "revenue"],
     ["--kind", "'revenue'", "'income'", "'expense'"]),
    ("percent over 100", ["tax-rate", "add", "Silly", "--percent", "101"],
     ["--percent", "'101'", "from 0 to 100"]),
    ("delete a tax rate still used", ["tax-rate", "delete", "GST on Income"],
     ["tax_rate", "'GST on Income'", "still used by", "item groups", "delete or change those"]),
    ("delete a client still used", ["client", "delete", "Base Client", "--yes"],
     ["client", "'Base Client'", "still used by", "documents"]),
    ("map to an unknown tenant", ["tax-rate", "map", "GST Free", "--tenant", "Nowhere",
                                  "--tax-type", "EXEMPTOUTPUT"],
     ["tenant", "'Nowhere'", "'Acme AU'"]),
    ("edit with nothing to change", ["product", "edit", "Backup 1TB"],
     ["nothing to change", "--price", "--use-item-group-tax"]),
    ("unsupported database", ["--db", "mysql://me@localhost/books", "client", "list"],
     ["mysql", "accepted: sqlite or postgresql"]),
]  # fmt: skip


@pytest.fixture
def books(db_url: str) -> str:
    seed(db_url)
    for number in ("INV-1", "INV-3"):
        ok(db_url, "invoice", "add", number, "--client", "Base Client", "--line", LINE)
    return db_url


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    books: str, args: list[str], expected: list[str]
) -> None:
    before = snapshot(books)
    result = invoke(books, *args)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith("error: ")
    assert "\n" not in message, message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert result.stdout == ""
    assert snapshot(books) == before


def test_unknown_option_is_a_usage_error_and_writes_nothing(books: str) -> None:
    before = snapshot(books)
    result = invoke(books, "client", "add", "Widget Co", "--colour", "red")
    assert result.exit_code == 2
    assert "--colour" in result.stderr
    assert snapshot(books) == before


def test_missing_required_option_is_a_usage_error(books: str) -> None:
    result = invoke(books, "invoice", "add", "INV-9", "--client", "Base Client")
    assert result.exit_code == 2
    assert "--line" in result.stderr


def test_service_names_the_accepted_fields_for_an_unknown_one(store: Store) -> None:
    with store.session() as s, pytest.raises(BadInput) as caught:
        CLIENTS.create(s, {"name": "Widget Co", "colour": "red"})
    assert caught.value.field == "colour"
    assert caught.value.value == "red"
    assert caught.value.accepted is not None
    assert "'email'" in caught.value.accepted
    assert "'tax_rate'" in caught.value.accepted


def test_a_bad_second_line_leaves_no_half_written_document(books: str) -> None:
    result = invoke(
        books, "invoice", "add", "INV-2", "--client", "Base Client",
        "--line", LINE, "--line", "Backup 1TB:2:oops",
    )  # fmt: skip
    assert result.exit_code == 2
    store = Store(books)
    try:
        with store.session() as s:
            numbers = set(s.scalars(select(Document.number)))
            assert numbers == {"INV-1", "INV-3"}
            assert DOCUMENTS[EntityType.INVOICE].count(s) == 2
    finally:
        store.dispose()


def test_snapshot_sees_a_successful_write(books: str) -> None:
    """The guard above is only as good as the snapshot: an accepted edit must show in it."""
    before = snapshot(books)
    ok(books, "client", "edit", "Base Client", "--email", "ap@base.test")
    after = snapshot(books)
    assert after["clients"] != before["clients"]
    assert after["sync_jobs"] != before["sync_jobs"]
