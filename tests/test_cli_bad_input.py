"""Every rejected input: one line naming the field, the value and what is accepted; exit code 2;
and not a single row of the store changed."""

from __future__ import annotations

from pathlib import Path

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
    # Found by fuzzing: each of these printed a traceback (or wrote a row) before.
    ("empty issue date", ["invoice", "add", "INV-2", "--client", "Base Client", "--line", LINE,
                          "--date", ""],
     ["--date", "is empty", "YYYY-MM-DD", "leave it out for today's date"]),
    ("blank issue date on edit", ["invoice", "edit", "INV-1", "--date", " "],
     ["--date", "is empty", "YYYY-MM-DD"]),
    ("empty remote tenant id", ["tenant", "add", "Acme NZ", "--integration", "xero",
                                "--remote-id", ""],
     ["--remote-id", "''", "is empty", "leave it out to use the name"]),
    ("blank remote tenant id", ["tenant", "add", "Acme NZ", "--integration", "xero",
                                "--remote-id", " "],
     ["--remote-id", "' '", "is empty"]),
    ("remote tenant id outside the folder", ["tenant", "add", "Books", "--integration", "ledger",
                                             "--remote-id", "../x"],
     ["--remote-id", "'../x'", "is not an ID any tool uses", "without '/', '\\', '..'"]),
    ("remote tenant id emptied", ["tenant", "edit", "Acme AU", "--remote-id", ""],
     ["--remote-id", "''", "is empty"]),
    ("record named in bytes that are not UTF-8", ["client", "edit", "Base\udcff", "--email",
                                                  "a@b.test"],
     ["client", "'Base\\udcff'", "cannot be stored", "UTF-8"]),
    ("document named in bytes that are not UTF-8", ["invoice", "show", "INV-\udce9"],
     ["invoice", "cannot be stored", "UTF-8"]),
    ("reference in bytes that are not UTF-8", ["invoice", "add", "INV-2", "--client",
                                               "Base\udcff", "--line", LINE],
     ["--client", "cannot be stored", "UTF-8"]),
    ("line product in bytes that are not UTF-8", ["invoice", "add", "INV-2", "--client",
                                                  "Base Client", "--line", "Backup\udcff:1"],
     ["product", "cannot be stored"]),
    ("search in bytes that are not UTF-8", ["client", "list", "--search", "\udcff"],
     ["search", "cannot be stored"]),
    ("tax type in bytes that are not UTF-8", ["tax-rate", "map", "GST Free", "--tenant",
                                              "Acme AU", "--tax-type", "\udcff"],
     ["--tax-type", "cannot be stored"]),
    ("API key named in bytes that are not UTF-8", ["apikey", "revoke", "\udcff"],
     ["key", "cannot be stored"]),
    ("database path in bytes that are not UTF-8", ["--db", "books\udcff.db", "client", "list"],
     ["database URL", "not UTF-8", "sqlite:///"]),
    ("fullwidth digits", ["product", "add", "Widget", "--price", "\uff11\uff12"],
     ["--price", "ASCII digits", "49.00"]),
    ("arabic-indic digits", ["product", "edit", "Backup 1TB", "--cost", "\u0661\u0662"],
     ["--cost", "ASCII digits"]),
    ("quantity in other digits", ["invoice", "add", "INV-2", "--client", "Base Client",
                                  "--line", "Backup 1TB:\uff12"],
     ["quantity", "ASCII digits"]),
    ("description too long", ["product", "add", "Widget", "--description", "d" * 4001],
     ["--description", "is 4,001 characters long", "at most 4,000 characters"]),
    ("too many lines", ["invoice", "add", "INV-2", "--client", "Base Client",
                        *["--line", LINE] * 1001],
     ["--line", "has 1,001 lines", "at most 1,000 lines per document"]),
    ("unknown user", ["user", "disable", "nobody"],
     ["username", "'nobody'", "is not a user"]),
    # The fields that make documents book correctly (issue 11).
    ("payment terms in other words", ["client", "edit", "Base Client", "--payment-terms",
                                      "fortnightly"],
     ["--payment-terms", "'fortnightly'", "is not payment terms", "'14 days'",
      "'20th of next month'"]),
    ("payment terms on no day of the month", ["supplier", "edit", "Base Supplier",
                                              "--payment-terms", "32nd of next month"],
     ["--payment-terms", "'32nd of next month'", "not a day of the month", "1st to 31st"]),
    ("payment terms too long", ["client", "add", "Slow Co", "--payment-terms", "900 days"],
     ["--payment-terms", "'900 days'", "0 to 365 days"]),
    ("tracking without an option", ["client", "edit", "Base Client", "--tracking", "Region"],
     ["--tracking", "'Region'", "is not CATEGORY=OPTION", "'Region=North'"]),
    ("tracking on three categories", ["product", "edit", "Backup 1TB", "--tracking", "A=1",
                                      "--tracking", "B=2", "--tracking", "C=3"],
     ["--tracking", "has 3 categories", "at most 2"]),
    ("a tracking category twice", ["product", "edit", "Backup 1TB", "--tracking", "A=1",
                                   "--tracking", "A=2"],
     ["--tracking", "'A=2'", "names a category twice"]),
    ("a country in digits", ["client", "edit", "Base Client", "--country", "4000"],
     ["--country", "'4000'", "is not a country name", "letters"]),
    ("five street lines", ["client", "edit", "Base Client", *["--address-line", "x"] * 5],
     ["--address-line", "has 5 lines", "at most 4 street lines"]),
    ("postal code too long", ["supplier", "edit", "Base Supplier", "--postal-code", "9" * 51],
     ["--postal-code", "at most 50 characters"]),
    ("exchange rate zero", ["invoice", "edit", "INV-1", "--exchange-rate", "0"],
     ["--exchange-rate", "'0'", "is not greater than 0", "a rate greater than 0"]),
    ("exchange rate in words", ["invoice", "edit", "INV-1", "--exchange-rate", "par"],
     ["--exchange-rate", "'par'", "not a number"]),
    ("exchange rate too precise", ["invoice", "edit", "INV-1", "--exchange-rate", "1.1234567"],
     ["--exchange-rate", "'1.1234567'", "at most 6"]),
    ("credits an unknown invoice", ["credit-note", "add", "CN-9", "--client", "Base Client",
                                    "--line", LINE, "--credits", "INV-404"],
     ["--credits", "'INV-404'", "is not a known invoice", "'INV-1'"]),
    ("purchase tax type without a tax type", ["tax-rate", "map", "GST Free", "--tenant",
                                              "Acme AU", "--purchase-tax-type", "INPUT"],
     ["--tax-type", "is required", "OUTPUT2"]),
    ("purchase tax type in bytes that are not UTF-8", ["tax-rate", "map", "GST Free",
                                                       "--tenant", "Acme AU", "--tax-type",
                                                       "EXEMPTOUTPUT", "--purchase-tax-type",
                                                       "\udcff"],
     ["--purchase-tax-type", "cannot be stored"]),
    ("an account marked imported by hand", ["account-code", "add", "Fake", "--kind", "income",
                                            "--code", "777", "--imported-from-tool"],
     ["--imported-from-tool", "True", "is set only by importing from the tool",
      "booksync tenant import"]),
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


def test_an_empty_then_a_blank_remote_tenant_id_are_both_refused(books: str) -> None:
    """The fuzzer's sequence: the first once stored '' and the second then hit the unique key."""
    before = snapshot(books)
    for remote in ("", " "):
        result = invoke(books, "tenant", "add", f"T{len(remote)}", "--integration", "ledger",
                        "--remote-id", remote)  # fmt: skip
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: --remote-id") and result.exception is not None
        assert isinstance(result.exception, SystemExit)
    assert snapshot(books) == before


#: Command templates whose `{}` gets each hostile value: every kind of argument a person types.
FUZZ_TEMPLATES = [
    ["client", "add", "{}"], ["client", "edit", "{}", "--email", "a@b.test"],
    ["client", "edit", "Base Client", "--tax-rate", "{}"],
    ["client", "edit", "Base Client", "--remote-id", "{}"],
    ["product", "add", "P", "--price", "{}"], ["product", "add", "P", "--description", "{}"],
    ["product", "edit", "Backup 1TB", "--item-group", "{}"],
    ["tenant", "add", "{}", "--integration", "ledger"],
    ["tenant", "add", "T", "--integration", "ledger", "--remote-id", "{}"],
    ["tenant", "edit", "Acme AU", "--remote-id", "{}"], ["tenant", "show", "{}"],
    ["tax-rate", "add", "R", "--percent", "{}"],
    ["tax-rate", "map", "GST Free", "--tenant", "Acme AU", "--tax-type", "{}"],
    ["account-code", "add", "A", "--kind", "income", "--code", "{}"],
    ["invoice", "add", "{}", "--client", "Base Client", "--line", LINE],
    ["invoice", "add", "INV-9", "--client", "{}", "--line", LINE],
    ["invoice", "add", "INV-9", "--client", "Base Client", "--line", "{}:1"],
    ["invoice", "add", "INV-9", "--client", "Base Client", "--line", "Backup 1TB:{}"],
    ["invoice", "add", "INV-9", "--client", "Base Client", "--line", LINE, "--date", "{}"],
    ["invoice", "edit", "INV-1", "--reference", "{}"], ["invoice", "delete", "{}", "--yes"],
    ["client", "list", "--search", "{}"], ["doctor", "invoice", "{}"],
    ["apikey", "revoke", "{}"], ["user", "disable", "{}"], ["--db", "{}", "client", "list"],
]  # fmt: skip
#: Bytes that were not UTF-8 (as Python decodes argv), empty and blank, digits that are not
#: ASCII, a path, and text far over every limit.
FUZZ_VALUES = ["a\udce9b", "", " ", "\uff11\uff12", "../x", "x" * 5000]


def test_no_hostile_argument_prints_a_traceback_or_writes_when_refused(
    books: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # `--db NaN` opens ./NaN, `--db ../x` the folder above
    cases = [[a.replace("{}", v) for a in t] for t in FUZZ_TEMPLATES for v in FUZZ_VALUES]
    assert len(cases) == 156
    problems = []
    before = snapshot(books)
    for args in cases:
        result = invoke(books, *args)
        after = snapshot(books)
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        refused = result.exit_code != 0
        message = result.stderr.strip()
        if (
            crashed
            or result.exit_code not in (0, 2)
            or (refused and after != before)
            or (refused and message.startswith("error:") and "\n" in message)
        ):
            problems.append(f"{args!r}: exit {result.exit_code} {result.exception!r}")
        before = after
    assert not problems, f"{len(problems)} of {len(cases)}:\n" + "\n".join(problems[:20])


def test_snapshot_sees_a_successful_write(books: str) -> None:
    """The guard above is only as good as the snapshot: an accepted edit must show in it."""
    before = snapshot(books)
    ok(books, "client", "edit", "Base Client", "--email", "ap@base.test")
    after = snapshot(books)
    assert after["clients"] != before["clients"]
    assert after["sync_jobs"] != before["sync_jobs"]
