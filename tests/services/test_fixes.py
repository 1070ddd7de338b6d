"""A fix is data; each face words it: the command line, the web admin page, the JSON.

Pure: fixes are built by hand or by the connectors' refusal translations, no database.
"""

from __future__ import annotations

import pytest

from booksync.connectors.quickbooks import errors as quickbooks
from booksync.connectors.xero import errors as xero
from booksync.domain import fixes
from booksync.domain.fixes import UNNAMED, Action, Fix
from booksync.domain.records import Subject
from booksync.domain.types import EntityType
from booksync.services.fixes import command_line, fix_json, remedy, web_page

E = EntityType
LEDGER = Subject("integration", 1, "ledger")
AU = Subject("tenant", 3, "Northwind IT AU")
GST = Subject("tax_rate", 5, "GST on Income")
SALES = Subject("account_code", 7, "Sales")
ACME = Subject("client", 2, "Acme Pty Ltd")
BACKUP = Subject("item_group", 4, "Backup")
ORDER = Subject("sales_order", 9, "SO-1007")

#: One fix per action, with the command line and the web page each face must give for it.
WORDED: list[tuple[Fix, str, str | None]] = [
    (fixes.enable_integration(LEDGER), "booksync integration enable ledger",
     "/integrations/ledger#enabled"),
    (fixes.tick_entities(LEDGER, [E.INVOICE, E.CLIENT]),
     "booksync integration configure ledger --entities client,invoice",
     "/integrations/ledger#entities_to_sync"),
    (fixes.connect_tenant(AU), "booksync tenant connect 'Northwind IT AU'", "/tenants/3#connection"),
    (fixes.import_tenant(AU), "booksync tenant import 'Northwind IT AU'", "/tenants/3"),
    (fixes.set_field(SALES, "code"), "booksync account-code edit 7 --code CODE",
     "/account-codes/7#code"),
    (fixes.map_tax_rate(GST, AU),
     "booksync tax-rate map 'GST on Income' --tenant 'Northwind IT AU' --tax-type TAX_TYPE",
     "/tax-rates/5#tax_types"),
    (fixes.retry_sync(ORDER), "booksync sync retry sales_order SO-1007", "/sales-orders/9"),
    (fixes.tool_advice(ACME, "booksync client edit 'Acme Pty Ltd' --email EMAIL"),
     "booksync client edit 'Acme Pty Ltd' --email EMAIL", "/clients/2"),
]  # fmt: skip


def test_every_action_is_worded_by_every_face() -> None:
    assert {fix.action for fix, _, _ in WORDED} == set(Action)


@pytest.mark.parametrize(("fix", "command", "page"), WORDED, ids=lambda v: getattr(v, "action", ""))
def test_the_cli_says_a_command_and_the_web_a_page_and_field(
    fix: Fix, command: str, page: str | None
) -> None:
    assert (command_line(fix), web_page(fix)) == (command, page)
    assert fix_json(fix) == {"fix": command, "fix_page": page, "remedy": remedy(fix)}


def test_the_api_gives_the_fix_as_data() -> None:
    assert remedy(fixes.map_tax_rate(GST, AU, "OUTPUT")) == {
        "action": "map_tax_rate",
        "subject": {"type": "tax_rate", "id": 5, "ref": "GST on Income"},
        "field": "tax_types",
        "value": "OUTPUT",
        "tenant": {"type": "tenant", "id": 3, "ref": "Northwind IT AU"},
        "entities": [],
        "advice": None,
    }
    assert remedy(fixes.tick_entities(LEDGER, [E.INVOICE]))["entities"] == ["invoice"]
    assert fix_json(None) == {"fix": None, "fix_page": None, "remedy": None}


@pytest.mark.parametrize(
    ("fix", "command"),
    [
        (fixes.set_field(ACME, "exclude_from_accounting", False),
         "booksync client edit 'Acme Pty Ltd' --include-in-accounting"),
        (fixes.set_field(ACME, "exclude_from_accounting", True),
         "booksync client edit 'Acme Pty Ltd' --exclude-from-accounting"),
        (fixes.set_field(ACME, "tenant", "Northwind IT AU"),
         "booksync client edit 'Acme Pty Ltd' --tenant 'Northwind IT AU'"),
        (fixes.set_field(ACME, "tenant"), "booksync client edit 'Acme Pty Ltd' --tenant TENANT"),
        (fixes.set_field(ACME, "remote_id", ""), "booksync client edit 'Acme Pty Ltd' --remote-id ''"),
        (fixes.set_field(ORDER, "client"), "booksync sales-order edit SO-1007 --client NAME"),
        (fixes.set_field(BACKUP, "tax_rate"), "booksync item-group edit Backup --tax-rate RATE"),
        (fixes.set_field(Subject("product", 1, "Backup 1TB"), "income_account"),
         "booksync product edit 'Backup 1TB' --income-account CODE"),
    ],
)  # fmt: skip
def test_a_value_to_set_is_quoted_a_value_to_choose_is_a_placeholder(
    fix: Fix, command: str
) -> None:
    assert command_line(fix) == command


def test_a_record_nobody_can_name_yet_gets_a_placeholder_and_no_page() -> None:
    rate = Subject("tax_rate", None, UNNAMED)
    mapping = fixes.map_tax_rate(rate, Subject("tenant", None, "Acme AU"))
    assert (
        command_line(mapping) == "booksync tax-rate map RATE --tenant 'Acme AU' --tax-type TAX_TYPE"
    )
    assert web_page(mapping) is None
    anyone = fixes.enable_integration(Subject("integration", None, UNNAMED))
    assert (command_line(anyone), web_page(anyone)) == (
        "booksync integration enable KIND",
        "/integrations#enabled",
    )


# -- the tools' refusals: the fix as data says what the fix string says ----------------------------

XERO_MESSAGES = [
    (E.INVOICE, "The TaxType code 'OUTPUT9' does not exist or cannot be used for this type of transaction."),
    (E.INVOICE, "Account code '999' is not a valid code for this document."),
    (E.INVOICE, "Item code 'P-9' is not valid"),
    (E.CLIENT, "The contact name Acme is already assigned to another contact. The contact name must be unique across all active contacts."),
    (E.PRODUCT, "Item code 'P-1' already exists"),
    (E.INVOICE, "Invoice # must be unique."),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "message"), XERO_MESSAGES)
def test_a_xero_refusal_carries_its_fix_as_data(entity: EntityType, message: str) -> None:
    found = xero.translate([message], entity, "Acme AU", "P-1")
    assert found.rule is not None
    assert (command_line(found.remedy) if found.remedy else None) == found.fix


QUICKBOOKS_ERRORS = [
    (E.CLIENT, "6240", "", "create"),
    (E.PRODUCT, "6240", "", "create"),
    (E.INVOICE, "6140", "", "create"),
    (E.CLIENT, "5010", "", "update"),
    (E.INVOICE, "6000", "TxnTaxDetail.TxnTaxCodeRef", "create"),
    (E.INVOICE, "6000", "Line.SalesItemLineDetail.ItemAccountRef", "create"),
    (E.INVOICE, "6000", "Line.SalesItemLineDetail.ItemRef", "create"),
    (E.INVOICE, "6000", "CustomerRef", "create"),
    (E.PURCHASE_ORDER, "6000", "VendorRef", "create"),
    (E.INVOICE, "6000", "PrivateNote", "create"),
    (E.CLIENT, "610", "", "update"),
    (E.INVOICE, "610", "", "create"),
]


@pytest.mark.parametrize(("entity", "code", "element", "operation"), QUICKBOOKS_ERRORS)
def test_a_quickbooks_refusal_carries_its_fix_as_data(
    entity: EntityType, code: str, element: str, operation: str
) -> None:
    error = quickbooks.FaultError(code, "Refused", "refused", element)
    found = quickbooks.translate([error], entity, "Acme AU", "C-000001", operation=operation)
    said = command_line(found.remedy) if found.remedy else None
    # QuickBooks calls a tax type a tax code; the option is --tax-type either way.
    assert said == (found.fix.replace("TAX_CODE", "TAX_TYPE") if found.fix else None)
