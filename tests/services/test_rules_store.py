"""Every rule through the store, on SQLite and PostgreSQL: passing on books that are ready to sync,
failing on books broken in one place with the record and field at fault and the fix, and green
again once the fix is applied through the services the suggested command calls.

Connecting and importing are simulated where the brief allows (a connection state and imported
rows written directly), and done for real with the ledger connector where the fix is exactly that.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from booksync.domain.evaluation import Check, Evaluation
from booksync.domain.findings import Readiness, Status
from booksync.domain.rules import RULES, RULES_BY_ID
from booksync.domain.types import EntityType
from booksync.services.doctor import diagnose, evaluation_json, health_report
from booksync.services.fixes import command_line
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
    TENANTS,
    configure_integration,
    parse_entities,
)
from booksync.services.reissue import reissue
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.store.db import Store
from booksync.store.models import (
    AccountCode,
    Document,
    RemoteDocument,
    RemoteObject,
    RemoteState,
    SyncJob,
    TaxRateMapping,
    Tenant,
    TenantTaxType,
)
from booksync.store.types import utcnow

E = EntityType
AU, NZ = "Northwind IT AU", "Northwind IT NZ"
ACME, DICKER, BACKUP_1TB = "Acme Pty Ltd", "Dicker Data", "Backup 1TB"
GST = "GST on Income"
#: One ready record of each type, by reference.
REFS = {
    E.CLIENT: ACME,
    E.SUPPLIER: DICKER,
    E.PRODUCT: BACKUP_1TB,
    E.INVOICE: "INV-1007",
    E.SALES_ORDER: "SO-1007",
    E.CREDIT_NOTE: "CN-1007",
    E.PURCHASE_ORDER: "PO-1007",
}
#: What the tool of each tenant has, as an import would bring it: (code, name, kind, active).
TOOL_ACCOUNTS = (
    ("200", "Sales", "income", True),
    ("300", "Purchases", "expense", True),
    ("250", "Old Sales", "income", False),
)
TOOL_TAX_TYPES = ("OUTPUT", "INPUT", "EXEMPTOUTPUT")


def build(store: Store, *, connected: bool = True, imported: bool = True) -> None:
    """Books where every record passes every rule (and was pushed and accepted)."""
    with store.session() as s:
        configure_integration(s, "ledger", {"enabled": True, "entities_to_sync": list(E)})
        TENANTS.create_for(s, "ledger", {"name": AU, "remote_tenant_id": "northwind-au"})
        TENANTS.create_for(s, "ledger", {"name": NZ, "remote_tenant_id": "northwind-nz"})
        TAX_RATES.create(s, {"name": GST, "percent": "10", "is_default": True})
        TAX_RATES.create(s, {"name": "GST on Expenses", "percent": "10"})
        for tenant in (AU, NZ):
            TAX_RATES.map(s, GST, tenant, "OUTPUT", purchase_tax_type="INPUT")
            TAX_RATES.map(s, "GST on Expenses", tenant, "INPUT", purchase_tax_type="INPUT")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Purchases", "code": "300", "kind": "expense"})
        ITEM_GROUPS.create(
            s,
            {"name": "Backup", "tax_rate": GST, "income_account": "200", "expense_account": "300"},
        )
        CLIENTS.create(s, {"name": ACME, "tenant": AU, "remote_id": "c-acme"})
        SUPPLIERS.create(
            s, {"name": DICKER, "tenant": AU, "remote_id": "s-dd", "tax_rate": "GST on Expenses"}
        )
        PRODUCTS.create(
            s,
            {
                "name": BACKUP_1TB,
                "item_group": "Backup",
                "use_item_group_tax": True,
                "tenant": AU,
                "remote_id": "p-backup",
            },
        )
        for kind, number in REFS.items():
            if kind.is_document:
                party = DICKER if kind is E.PURCHASE_ORDER else ACME
                line = {"product": BACKUP_1TB, "quantity": "2", "unit_price": "49.00"}
                DOCUMENTS[kind].create(s, {"number": number, "party": party, "lines": [line]})
        for tenant in s.scalars(select(Tenant)):
            if connected:
                tenant.connection_state = "connected"
            if imported:
                simulate_import(s, tenant)
        # Every record was pushed and accepted: the engine's own write.
        s.execute(update(SyncJob).values(status="synced", synced_version=SyncJob.record_version))


def simulate_import(s: Session, tenant: Tenant) -> None:
    for code, name, kind, active in TOOL_ACCOUNTS:
        s.add(
            AccountCode(
                name=name,
                code=code,
                kind=kind,
                tenant_id=tenant.id,
                imported_from_tool=True,
                active=active,
            )
        )
    for tax_type in TOOL_TAX_TYPES:
        s.add(TenantTaxType(tenant_id=tenant.id, tax_type=tax_type))
    tenant.accounts_imported_at = tenant.tax_types_imported_at = utcnow()
    # The tool's settings, as `services.tool_settings.store_settings` keeps them.
    tenant.currencies = ["AUD"]
    tenant.payment_terms = {"days": 14, "type": "DAYSAFTERBILLDATE"}
    tenant.tracking_categories = {"Region": ["North", "South"]}
    tenant.settings_imported_at = utcnow()


def evaluation(store: Store, entity: EntityType, ref: str | None = None) -> Evaluation:
    with store.session() as s:
        return diagnose(s, entity, ref or REFS[entity])


def row(ev: Evaluation, rule_id: str) -> Check:
    return next(c for c in ev.checks() if c.rule.id == rule_id)


def own_account_id(store: Store, name: str) -> int:
    with store.session() as s:
        found = s.scalars(
            select(AccountCode.id).where(
                AccountCode.name == name, AccountCode.imported_from_tool.is_(False)
            )
        ).one()
    return found


def option(command: str, flag: str) -> str:
    """The value of `flag` in a suggested command, as the shell would pass it."""
    words = shlex.split(command)
    return words[words.index(flag) + 1]


# -- the cases: how to break each rule, what the doctor must say, how the fix clears it ------------

Step = Callable[[Session, dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    rule: str
    entity: EntityType
    #: Breaks the ready books in one place.
    breaks: Step
    #: The record at fault and its field, as the check's finding names them.
    subject: tuple[str, str]
    field: str | None
    #: The suggested command; `{sales}` stands for the user's Sales account code id.
    fix: str
    #: Applies the fix through the services the command calls (`ctx["fix"]` is the command).
    applies: Step
    status: Status = Status.BLOCKED
    #: For a dependency: the root cause's rule, record type, reference and field.
    root: tuple[str, str, str, str] | None = None
    #: Whether the check turns green only after the engine's next successful push.
    engine_pushes: bool = False
    name: str = ""

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.entity.value}" + (f"-{self.name}" if self.name else "")


def _ledger(**settings: Any) -> Step:
    return lambda s, ctx: configure_integration(s, "ledger", settings) and None


def _edit(service: Any, ref: str, **values: Any) -> Step:
    return lambda s, ctx: service.update(s, ref, values) and None


def _connection(state: str) -> Step:
    def breaks(s: Session, ctx: dict[str, Any]) -> None:
        s.execute(update(Tenant).where(Tenant.name == AU).values(connection_state=state))

    return breaks


def _connect(s: Session, ctx: dict[str, Any]) -> None:
    connect_tenant(s, option(ctx["fix"], "connect"), directory=ctx["tmp_path"])


def _tick_entities(s: Session, ctx: dict[str, Any]) -> None:
    entities = parse_entities(option(ctx["fix"], "--entities"))
    configure_integration(s, "ledger", {"entities_to_sync": entities})


def _set_code(code: str) -> Step:
    def applies(s: Session, ctx: dict[str, Any]) -> None:
        account_id = option(ctx["fix"], "edit")
        ACCOUNT_CODES.update(s, account_id, {"code": code})

    return applies


def _no_group_tax_and_no_default(s: Session, ctx: dict[str, Any]) -> None:
    TAX_RATES.update(s, GST, {"is_default": False})
    ITEM_GROUPS.update(s, "Backup", {"tax_rate": ""})


def _rejected_by_the_tool(s: Session, ctx: dict[str, Any]) -> None:
    client_id = CLIENTS.get(s, ACME).id
    s.execute(
        update(SyncJob)
        .where(SyncJob.entity_type == "client", SyncJob.record_id == client_id)
        .values(
            status="failed",
            attempts=1,
            last_error="Email address must be valid",
            error_rule="tool.accepted",
            error_fix=f"booksync client edit '{ACME}' --email EMAIL",
        )
    )


def _tenant_settings(**values: Any) -> Step:
    def breaks(s: Session, ctx: dict[str, Any]) -> None:
        s.execute(update(Tenant).where(Tenant.name == AU).values(**values))

    return breaks


def _archived_in_tool(active: bool) -> Step:
    """The tool's contact Acme is linked to, as the last import saw it (archived or restored)."""

    def step(s: Session, ctx: dict[str, Any]) -> None:
        tenant = s.scalars(select(Tenant).where(Tenant.name == AU)).one()
        found = s.scalars(select(RemoteObject).where(RemoteObject.remote_id == "c-acme")).first()
        if found is None:
            found = RemoteObject(tenant_id=tenant.id, object_type="contact", remote_id="c-acme")
            s.add(found)
        found.name, found.active = ACME, active

    return step


def _found_in_tool(contact: str, total: str) -> Step:
    """The tool holds a document under INV-1007 (as an import found it)."""

    def step(s: Session, ctx: dict[str, Any]) -> None:
        tenant = s.scalars(select(Tenant).where(Tenant.name == AU)).one()
        s.execute(delete(RemoteDocument))
        s.add(
            RemoteDocument(
                tenant_id=tenant.id, entity="invoice", remote_id="x-42", number="INV-1007",
                contact_remote_id=contact, total=Decimal(total), currency="AUD", status="AUTHORISED",
            )
        )  # fmt: skip

    return step


def _purchase_tax_type(value: str | None) -> Step:
    """Written as the store holds it (the map service refuses a type the tool lacks)."""

    def step(s: Session, ctx: dict[str, Any]) -> None:
        rate = TAX_RATES.get(s, "GST on Expenses")
        tenant = s.scalars(select(Tenant).where(Tenant.name == AU)).one()
        s.execute(
            update(TaxRateMapping)
            .where(TaxRateMapping.tax_rate_id == rate.id, TaxRateMapping.tenant_id == tenant.id)
            .values(purchase_tax_type=value)
        )

    return step


def _sales_tax_type(value: str) -> Step:
    def step(s: Session, ctx: dict[str, Any]) -> None:
        rate = TAX_RATES.get(s, GST)
        tenant = s.scalars(select(Tenant).where(Tenant.name == AU)).one()
        s.execute(
            update(TaxRateMapping)
            .where(TaxRateMapping.tax_rate_id == rate.id, TaxRateMapping.tenant_id == tenant.id)
            .values(tax_type=value)
        )

    return step


def _approved(**values: Any) -> Step:
    def breaks(s: Session, ctx: dict[str, Any]) -> None:
        DOCUMENTS[E.INVOICE].update(s, "INV-1007", {"status": "authorised"})
        s.execute(update(Tenant).where(Tenant.name == AU).values(**values))

    return breaks


def _verified(mismatches: list[dict[str, str]] | None) -> Step:
    """What the engine's verification after a push wrote on the invoice's job."""

    def step(s: Session, ctx: dict[str, Any]) -> None:
        invoice = DOCUMENTS[E.INVOICE].get(s, "INV-1007")
        s.execute(
            update(SyncJob)
            .where(SyncJob.entity_type == "invoice", SyncJob.record_id == invoice.id)
            .values(verification=mismatches)
        )

    return step


def _paid_in_tool_then_edited(s: Session, ctx: dict[str, Any]) -> None:
    """INV-1007 was pushed (linked), the bookkeeper took payment in the tool (as the intake reads
    it back), then booksync edited it."""
    invoice = DOCUMENTS[E.INVOICE].get(s, "INV-1007")
    tenant = s.scalars(select(Tenant).where(Tenant.name == AU)).one()
    s.execute(update(Document).where(Document.id == invoice.id).values(remote_id="x-1007"))
    held = {"lines": [{"item_code": None, "description": BACKUP_1TB, "quantity": "2",
                       "unit_price": "49.00"}], "reference": ""}  # fmt: skip
    s.add(
        RemoteState(
            tenant_id=tenant.id, entity_type="invoice", record_id=invoice.id, remote_id="x-1007",
            status="paid", total=Decimal("107.80"), amount_paid=Decimal("107.80"), fields=held,
        )
    )  # fmt: skip
    s.flush()
    line = {"product": BACKUP_1TB, "quantity": "3", "unit_price": "49.00"}
    DOCUMENTS[E.INVOICE].update(s, "INV-1007", {"lines": [line]})


def _reissued(s: Session, ctx: dict[str, Any]) -> None:
    assert ctx["fix"] == "booksync invoice reissue INV-1007"
    reissue(s, "INV-1007")


TODAY = date.today()


INCLUDE = "booksync {} edit {} --include-in-accounting"
ENABLE = _ledger(enabled=True)
CASES: list[Case] = [
    Case("integration.enabled", E.INVOICE, _ledger(enabled=False), ("integration", "ledger"),
         "enabled", "booksync integration enable ledger", ENABLE),
    Case("integration.enabled", E.CLIENT, _ledger(enabled=False), ("integration", "ledger"),
         "enabled", "booksync integration enable ledger", ENABLE),
    Case("integration.entity_synced", E.INVOICE,
         _ledger(entities_to_sync=["client", "supplier", "product"]),
         ("integration", "ledger"), "entities_to_sync",
         "booksync integration configure ledger --entities client,supplier,product,invoice",
         _tick_entities),
    Case("tenant.connected", E.CLIENT, _connection("revoked"), ("tenant", AU), "connection",
         f"booksync tenant connect '{AU}'", _connect, name="revoked"),
    Case("tenant.connected", E.INVOICE, _connection("expired"), ("tenant", AU), "connection",
         f"booksync tenant connect '{AU}'", _connect, name="expired"),
    Case("record.not_excluded", E.CLIENT, _edit(CLIENTS, ACME, exclude_from_accounting=True),
         ("client", ACME), "exclude_from_accounting", INCLUDE.format("client", f"'{ACME}'"),
         _edit(CLIENTS, ACME, exclude_from_accounting=False)),
    Case("record.not_excluded", E.SUPPLIER, _edit(SUPPLIERS, DICKER, exclude_from_accounting=True),
         ("supplier", DICKER), "exclude_from_accounting", INCLUDE.format("supplier", f"'{DICKER}'"),
         _edit(SUPPLIERS, DICKER, exclude_from_accounting=False)),
    Case("record.not_excluded", E.PRODUCT, _edit(PRODUCTS, BACKUP_1TB, exclude_from_accounting=True),
         ("product", BACKUP_1TB), "exclude_from_accounting",
         INCLUDE.format("product", f"'{BACKUP_1TB}'"),
         _edit(PRODUCTS, BACKUP_1TB, exclude_from_accounting=False)),
    Case("record.tenant_set", E.CLIENT, _edit(CLIENTS, ACME, tenant=""), ("client", ACME), "tenant",
         f"booksync client edit '{ACME}' --tenant TENANT", _edit(CLIENTS, ACME, tenant=AU)),
    Case("record.tenant_set", E.SUPPLIER, _edit(SUPPLIERS, DICKER, tenant=""), ("supplier", DICKER),
         "tenant", f"booksync supplier edit '{DICKER}' --tenant TENANT",
         _edit(SUPPLIERS, DICKER, tenant=AU)),
    Case("record.tenant_set", E.PRODUCT, _edit(PRODUCTS, BACKUP_1TB, tenant=""),
         ("product", BACKUP_1TB), "tenant", f"booksync product edit '{BACKUP_1TB}' --tenant TENANT",
         _edit(PRODUCTS, BACKUP_1TB, tenant=AU)),
    *[
        Case("dependency.client", kind, _edit(CLIENTS, ACME, exclude_from_accounting=True),
             ("client", ACME), None, INCLUDE.format("client", f"'{ACME}'"),
             _edit(CLIENTS, ACME, exclude_from_accounting=False),
             root=("record.not_excluded", "client", ACME, "exclude_from_accounting"))
        for kind in (E.INVOICE, E.SALES_ORDER, E.CREDIT_NOTE)
    ],
    Case("dependency.supplier", E.PURCHASE_ORDER, _edit(SUPPLIERS, DICKER, tenant=""),
         ("supplier", DICKER), None, f"booksync supplier edit '{DICKER}' --tenant TENANT",
         _edit(SUPPLIERS, DICKER, tenant=AU),
         root=("record.tenant_set", "supplier", DICKER, "tenant")),
    *[
        Case("dependency.product", kind, _edit(PRODUCTS, BACKUP_1TB, exclude_from_accounting=True),
             ("product", BACKUP_1TB), None, INCLUDE.format("product", f"'{BACKUP_1TB}'"),
             _edit(PRODUCTS, BACKUP_1TB, exclude_from_accounting=False),
             root=("record.not_excluded", "product", BACKUP_1TB, "exclude_from_accounting"))
        for kind in (E.INVOICE, E.PURCHASE_ORDER)
    ],
    Case("dependency.same_tenant", E.SALES_ORDER, _edit(PRODUCTS, BACKUP_1TB, tenant=NZ),
         ("sales_order", "SO-1007"), "lines",
         "booksync sales-order edit SO-1007 --line PRODUCT:QUANTITY",
         _edit(PRODUCTS, BACKUP_1TB, tenant=AU)),
    *[
        Case("tax.resolved", kind, _no_group_tax_and_no_default, ("item_group", "Backup"),
             "tax_rate", "booksync item-group edit Backup --tax-rate RATE",
             _edit(ITEM_GROUPS, "Backup", tax_rate=GST))
        for kind in (E.PRODUCT, E.INVOICE)
    ],
    *[
        Case("tax.mapped", kind, lambda s, ctx: TAX_RATES.unmap(s, GST, AU), ("tax_rate", GST),
             "tax_types", f"booksync tax-rate map '{GST}' --tenant '{AU}' --tax-type TAX_TYPE",
             lambda s, ctx: TAX_RATES.map(s, GST, AU, "OUTPUT") and None, name="unmapped")
        for kind in (E.PRODUCT, E.CREDIT_NOTE)
    ],
    Case("tax.mapped", E.INVOICE, _sales_tax_type("OUTPUT9"), ("tax_rate", GST), "tax_types",
         f"booksync tax-rate map '{GST}' --tenant '{AU}' --tax-type TAX_TYPE",
         lambda s, ctx: TAX_RATES.map(s, GST, AU, "OUTPUT") and None, name="not-in-tool"),
    Case("tax.mapped", E.INVOICE, _sales_tax_type("output"), ("tax_rate", GST), "tax_types",
         f"booksync tax-rate map '{GST}' --tenant '{AU}' --tax-type OUTPUT",
         lambda s, ctx: TAX_RATES.map(s, GST, AU, option(ctx["fix"], "--tax-type")) and None,
         name="lower-case"),
    Case("tax.purchase_mapped", E.PURCHASE_ORDER, _purchase_tax_type(None),
         ("tax_rate", "GST on Expenses"), "purchase_tax_types",
         f"booksync tax-rate map 'GST on Expenses' --tenant '{AU}' --purchase-tax-type TAX_TYPE",
         lambda s, ctx: TAX_RATES.map(s, "GST on Expenses", AU, purchase_tax_type="INPUT") and None,
         name="unmapped"),
    Case("tax.purchase_mapped", E.PURCHASE_ORDER, _purchase_tax_type("BOGUS"),
         ("tax_rate", "GST on Expenses"), "purchase_tax_types",
         f"booksync tax-rate map 'GST on Expenses' --tenant '{AU}' --purchase-tax-type TAX_TYPE",
         lambda s, ctx: TAX_RATES.map(s, "GST on Expenses", AU, purchase_tax_type="INPUT") and None,
         name="not-in-tool"),
    Case("account_code.set", E.INVOICE, _edit(ITEM_GROUPS, "Backup", income_account=""),
         ("product", BACKUP_1TB), "income_account",
         f"booksync product edit '{BACKUP_1TB}' --income-account CODE",
         _edit(PRODUCTS, BACKUP_1TB, income_account="200")),
    Case("account_code.set", E.PURCHASE_ORDER, _edit(ITEM_GROUPS, "Backup", expense_account=""),
         ("product", BACKUP_1TB), "expense_account",
         f"booksync product edit '{BACKUP_1TB}' --expense-account CODE",
         _edit(PRODUCTS, BACKUP_1TB, expense_account="300")),
    *[
        Case("account_code.code_set", kind, _edit(ACCOUNT_CODES, "200", code=""),
             ("account_code", "Sales"), "code", "booksync account-code edit {sales} --code CODE",
             _set_code("200"))
        for kind in (E.PRODUCT, E.INVOICE)
    ],
    Case("account_code.matches_tool", E.INVOICE, _edit(ACCOUNT_CODES, "200", code="999"),
         ("account_code", "999"), "code", "booksync account-code edit {sales} --code CODE",
         _set_code("200"), name="unknown-code"),
    Case("account_code.matches_tool", E.SALES_ORDER, _edit(ACCOUNT_CODES, "200", code="250"),
         ("account_code", "250"), "code", "booksync account-code edit {sales} --code CODE",
         _set_code("200"), name="archived"),
    *[
        Case("contact.not_archived", kind, _archived_in_tool(active=False), ("client", ACME),
             "remote_id", f"booksync tenant import '{AU}'", _archived_in_tool(active=True))
        for kind in (E.CLIENT, E.INVOICE)
    ],
    Case("currency.enabled", E.INVOICE, _edit(DOCUMENTS[E.INVOICE], "INV-1007", currency="USD"),
         ("invoice", "INV-1007"), "currency", "booksync invoice edit INV-1007 --currency AUD",
         _edit(DOCUMENTS[E.INVOICE], "INV-1007", currency="AUD")),
    Case("currency.enabled", E.CLIENT, _edit(CLIENTS, ACME, currency="USD"), ("client", ACME),
         "currency", f"booksync client edit '{ACME}' --currency AUD",
         _tenant_settings(currencies=["AUD", "USD"]), name="enabled-in-the-tool"),
    Case("tracking.matches_tool", E.CLIENT, _edit(CLIENTS, ACME, tracking={"Region": "East"}),
         ("client", ACME), "tracking", f"booksync client edit '{ACME}' --tracking CATEGORY=OPTION",
         _edit(CLIENTS, ACME, tracking={"Region": "North"})),
    Case("tracking.matches_tool", E.INVOICE, _edit(CLIENTS, ACME, tracking={"Area": "North"}),
         ("client", ACME), "tracking", f"booksync client edit '{ACME}' --tracking CATEGORY=OPTION",
         _tenant_settings(tracking_categories={"Region": ["North"], "Area": ["North"]}),
         name="through-the-client"),
    Case("document.number_free", E.INVOICE, _found_in_tool("c-someone-else", "999.00"),
         ("invoice", "INV-1007"), "number", "booksync invoice edit INV-1007 --number NUMBER",
         _found_in_tool("c-acme", "107.80")),
    Case("document.after_lock_date", E.INVOICE, _approved(lock_date=TODAY),
         ("invoice", "INV-1007"), "issue_date", "booksync invoice edit INV-1007 --date YYYY-MM-DD",
         _edit(DOCUMENTS[E.INVOICE], "INV-1007", issue_date=TODAY + timedelta(days=1))),
    Case("document.due_date_set", E.INVOICE, _approved(payment_terms=None),
         ("invoice", "INV-1007"), "due_date", "booksync invoice edit INV-1007 --due YYYY-MM-DD",
         _edit(DOCUMENTS[E.INVOICE], "INV-1007", due_date=TODAY)),
    Case("document.editable_in_tool", E.INVOICE, _paid_in_tool_then_edited,
         ("invoice", "INV-1007"), None, "booksync invoice reissue INV-1007", _reissued),
    Case("tool.totals_match", E.INVOICE,
         _verified([{"field": "total", "booksync": "107.80", "tool": "98.00"}]),
         ("invoice", "INV-1007"), None,
         "check invoice 'INV-1007' in the tool and correct it there, or edit it in booksync so "
         "the next push sends it again", _verified(None)),
    Case("tool.accepted", E.CLIENT, _rejected_by_the_tool, ("client", ACME), None,
         f"booksync client edit '{ACME}' --email EMAIL",
         _edit(CLIENTS, ACME, email="accounts@acme.example.com"), engine_pushes=True),
]  # fmt: skip


def test_every_rule_has_a_failing_case_and_each_case_fits_its_rule() -> None:
    assert {case.rule for case in CASES} == set(RULES_BY_ID)
    for case in CASES:
        assert case.entity in RULES_BY_ID[case.rule].applies_to, case.id
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("rule_id", [rule.id for rule in RULES])
def test_every_rule_passes_for_every_record_type_it_applies_to(store: Store, rule_id: str) -> None:
    build(store)
    for entity in RULES_BY_ID[rule_id].applies_to:
        check = row(evaluation(store, entity), rule_id)
        assert (check.status, check.findings) == (Status.OK, ()), (entity, check.detail)
        assert check.detail == RULES_BY_ID[rule_id].passed


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_broken_rule_names_the_record_field_and_fix_and_the_fix_clears_it(
    store: Store, tmp_path: Path, case: Case
) -> None:
    build(store)
    ctx: dict[str, Any] = {"tmp_path": tmp_path}
    with store.session() as s:
        case.breaks(s, ctx)

    ev = evaluation(store, case.entity)
    check = row(ev, case.rule)
    assert check.status is case.status, check.detail
    assert len(check.findings) == 1, check.findings
    finding = check.findings[0]
    assert (finding.rule, finding.status) == (case.rule, case.status)
    assert (finding.subject.type, finding.subject.ref, finding.field) == (*case.subject, case.field)
    expected_fix = case.fix.format(sales=own_account_id(store, "Sales"))
    assert finding.fix is not None and command_line(finding.fix) == expected_fix
    assert finding.detail and "\n" not in finding.detail
    assert not ev.ready and ev.readiness is Readiness.BLOCKED
    blockers = [(b.rule, b.subject.type, b.subject.ref, b.field) for b in ev.blockers()]
    if case.root is not None:
        assert (finding.root.rule, finding.root.subject.type) == case.root[:2]
        assert (finding.root.subject.ref, finding.root.field) == case.root[2:]
        assert case.root in blockers
    else:
        assert (case.rule, *case.subject, case.field) in blockers

    ctx["fix"] = command_line(finding.fix)
    with store.session() as s:
        case.applies(s, ctx)
    after = evaluation(store, case.entity)
    if case.engine_pushes:  # the edit re-queues the record: not yet known, but no longer held
        assert row(after, case.rule).status is Status.UNKNOWN
        assert after.ready
        with store.session() as s:
            s.execute(update(SyncJob).values(status="synced", last_error=None))
        after = evaluation(store, case.entity)
    assert row(after, case.rule).ok, row(after, case.rule).detail
    assert after.ready


# -- not yet known, waiting, and root causes -------------------------------------------------------


def test_before_connecting_and_importing_the_tool_checks_are_not_yet_known(
    store: Store, tmp_path: Path
) -> None:
    build(store, connected=False, imported=False)
    ev = evaluation(store, E.INVOICE)
    unknown = {c.rule.id: c for c in ev.checks() if c.status is Status.UNKNOWN}
    # Booksync's own checks before sending are unknown too (never passed blindly), but only the
    # guide's hold the record back: a tool that cannot report its settings still syncs.
    assert set(unknown) == {
        "tenant.connected",
        "tax.mapped",
        "account_code.matches_tool",
        "contact.not_archived",
        "currency.enabled",
        "document.number_free",
    }
    fixes = {
        rule: command_line(c.findings[0].fix) for rule, c in unknown.items() if c.findings[0].fix
    }
    assert fixes == {
        "tenant.connected": f"booksync tenant connect '{AU}'",
        **{
            rule: f"booksync tenant import '{AU}'" for rule in unknown if rule != "tenant.connected"
        },
    }
    assert unknown["tenant.connected"].findings[0].subject.ref == AU
    assert unknown["tax.mapped"].findings[0].subject.ref == GST
    assert unknown["account_code.matches_tool"].findings[0].subject.ref == "200"
    assert (ev.readiness, ev.ready) == (Readiness.UNKNOWN, False)
    assert evaluation_json(ev)["ready"] is False

    with store.session() as s:  # what `booksync tenant connect` and `tenant import` do
        connect_tenant(s, AU, directory=tmp_path)
    connected = evaluation(store, E.INVOICE)
    assert row(connected, "tenant.connected").ok
    assert row(connected, "tax.mapped").status is Status.UNKNOWN
    assert row(connected, "account_code.matches_tool").status is Status.UNKNOWN
    with store.session() as s:
        import_from_tool(s, AU)
    imported = evaluation(store, E.INVOICE)
    assert [c.rule.id for c in imported.checks() if not c.ok] == []
    assert imported.readiness is Readiness.READY


@pytest.mark.parametrize("entity", [E.INVOICE, E.SALES_ORDER, E.CREDIT_NOTE])
def test_a_document_waits_for_a_syncable_client_without_remote_id_and_counts_as_ready(
    store: Store, entity: EntityType
) -> None:
    build(store)
    with store.session() as s:
        CLIENTS.update(s, ACME, {"remote_id": ""})
    ev = evaluation(store, entity)
    check = row(ev, "dependency.client")
    assert check.status is Status.WAITING
    assert (check.findings[0].subject.ref, check.findings[0].field) == (ACME, "remote_id")
    assert (ev.readiness, ev.ready, ev.blockers()) == (Readiness.WAITING, True, [])
    shown = evaluation_json(ev)
    assert (shown["ready"], shown["status"]) == (True, "waiting")
    assert shown["waiting_on"] == [{"type": "client", "ref": ACME}]


def test_a_blocked_dependency_is_reported_on_the_invoice_with_its_root_cause(store: Store) -> None:
    build(store)
    with store.session() as s:
        PRODUCTS.update(
            s,
            BACKUP_1TB,
            {"item_group": "", "use_item_group_tax": False, "tax_rate": GST, "remote_id": ""},
        )
    ev = evaluation(store, E.INVOICE)
    dependency = row(ev, "dependency.product").findings[0]
    assert (dependency.status, dependency.subject.ref) == (Status.BLOCKED, BACKUP_1TB)
    assert dependency.detail == (
        "product 'Backup 1TB' cannot sync: product 'Backup 1TB' has no income account code"
    )
    [root] = ev.blockers()
    assert (root.rule, root.subject.type, root.subject.ref, root.field) == (
        "account_code.set",
        "product",
        BACKUP_1TB,
        "income_account",
    )
    assert root.detail == "product 'Backup 1TB' has no income account code"
    assert root.fix is not None
    assert command_line(root.fix) == "booksync product edit 'Backup 1TB' --income-account CODE"

    with store.session() as s:
        PRODUCTS.update(s, BACKUP_1TB, {"income_account": "200"})
    fixed = evaluation(store, E.INVOICE)
    assert row(fixed, "dependency.product").status is Status.WAITING  # unlinked: pushed first
    assert fixed.readiness is Readiness.WAITING


def test_the_health_report_ranks_root_causes_by_how_many_records_they_block(
    store: Store,
) -> None:
    build(store)
    with store.session() as s:
        DOCUMENTS[E.INVOICE].create(
            s, {"number": "INV-1008", "party": ACME, "lines": [{"product": BACKUP_1TB}]}
        )
        ACCOUNT_CODES.update(s, "200", {"code": ""})
        SUPPLIERS.update(s, DICKER, {"exclude_from_accounting": True})
    with store.session() as s:
        report = health_report(s)
    summaries = [cause["summary"] for cause in report.to_json()["blockers"]]
    assert summaries == [
        "account code 'Sales' has an empty Code → blocks 2 invoices, 1 credit note, 1 product, "
        "1 sales order",
        "supplier 'Dicker Data' has \"Exclude from Accounting Integration\" ticked → blocks "
        "1 purchase order, 1 supplier",
    ]
    assert report.counts[Readiness.BLOCKED] == 7
    assert report.counts[Readiness.READY] == 1  # the client
    assert report.total == 8
    fixes = [command_line(cause.finding.fix) for cause in report.blockers if cause.finding.fix]
    sales = own_account_id(store, "Sales")
    assert fixes == [
        f"booksync account-code edit {sales} --code CODE",
        f"booksync supplier edit '{DICKER}' --include-in-accounting",
    ]
