"""What the rule pages say about each rule beyond its question: why it matters, what makes it fail,
and how to fix it, keyed by the rule ids of `booksync.domain.rules.RULES`.

Only the prose lives here. Each rule's id, question, scope and seed heading come from `RULES`, and
each fix is a `Fix` built with the domain's own constructors, so the pages say the same command and
web page as the doctor does (`booksync.services.fixes`). tests/docs/ fail when this table and `RULES`
do not name the same rules, and so does the docs build: a rule cannot ship without its page.
"""

from __future__ import annotations

from dataclasses import dataclass

from booksync.domain import fixes
from booksync.domain.fixes import UNNAMED, Fix
from booksync.domain.records import Subject
from booksync.domain.types import EntityType


def _a(kind: str) -> Subject:
    """A record of type `kind` that the page cannot name: the CLI shows a placeholder for it."""
    return Subject(kind, None, UNNAMED)


INTEGRATION, TENANT = _a("integration"), _a("tenant")


@dataclass(frozen=True, slots=True)
class FixNote:
    """One way to clear a rule: when it applies, and the fix (None: see the linked rule)."""

    when: str
    fix: Fix | None = None


@dataclass(frozen=True, slots=True)
class RuleProse:
    why: str
    #: What makes the check fail (or stay unknown), one situation each.
    fails: tuple[str, ...]
    fixes: tuple[FixNote, ...]
    #: A screenshot under docs/screenshots/ (written by tests/web/test_browser.py), if one shows it.
    screenshot: tuple[str, str] | None = None


def _excluded(kind: str) -> FixNote:
    return FixNote(
        f"a {kind} is excluded", fixes.set_field(_a(kind), "exclude_from_accounting", False)
    )


def _tenant(kind: str) -> FixNote:
    return FixNote(f"a {kind} has no tenant", fixes.set_field(_a(kind), "tenant"))


PROSE: dict[str, RuleProse] = {
    "integration.enabled": RuleProse(
        why="Nothing reaches an accounting tool whose integration is disabled: booksync does not "
        "even look at the tenant's connection until the integration is on.",
        fails=(
            "No integration is set up at all (the doctor suggests the first installed tool).",
            "The integration the record's tenant belongs to is disabled.",
            "Not yet known: several integrations are enabled and the record has no tenant, so "
            "which one applies cannot be told.",
        ),
        fixes=(FixNote("the integration is off", fixes.enable_integration(INTEGRATION)),),
        screenshot=(
            "integrations",
            "The integration tiles: '+' enables a tool, a cross disables it.",
        ),
    ),
    "integration.entity_synced": RuleProse(
        why='An integration syncs only the record types ticked in its "Entities to Sync". An '
        "unticked type is left alone on purpose, so a record of that type never syncs, however "
        "well it is set up.",
        fails=('The record\'s type is not ticked in "Entities to Sync" of its integration.',),
        fixes=(
            FixNote(
                "tick the type; the setting is replaced as a whole, so list every type to sync "
                "(the doctor's fix lists the ones already ticked plus the missing one)",
                fixes.tick_entities(INTEGRATION, (EntityType.CLIENT, EntityType.INVOICE)),
            ),
        ),
    ),
    "tenant.connected": RuleProse(
        why="booksync pushes with the tenant's own connection (an OAuth token for Xero and "
        "QuickBooks, a folder for the embedded ledger). Without a working one every push would "
        "fail, so records wait instead of piling up errors.",
        fails=(
            "The tenant's connection expired and could not be refreshed.",
            "Access was revoked in the tool (the tool's reason is shown).",
            "Not yet known: the tenant has never been connected, or the record has no tenant.",
        ),
        fixes=(FixNote("connect (or reconnect) the tenant", fixes.connect_tenant(TENANT)),),
    ),
    "record.not_excluded": RuleProse(
        why='"Exclude from Accounting Integration" keeps a client, supplier or product out of '
        "the tool on purpose. It also stops every document that uses it, which is usually the "
        "surprise.",
        fails=(
            'The client, supplier or product has "Exclude from Accounting Integration" ticked.',
        ),
        fixes=(_excluded("client"), _excluded("supplier"), _excluded("product")),
        screenshot=(
            "client",
            'A client\'s page: "Exclude from Accounting Integration", tenant and remote ID.',
        ),
    ),
    "record.tenant_set": RuleProse(
        why="A client, supplier or product syncs to the tenant set on it; without one booksync "
        "cannot tell which organisation, company or ledger it belongs to.",
        fails=(
            "The record has no tenant set (with one tenant only, the doctor's fix names it).",
            "The record names a tenant that no longer exists.",
        ),
        fixes=(_tenant("client"), _tenant("supplier"), _tenant("product")),
    ),
    "dependency.client": RuleProse(
        why="A document refers to its client in the tool, so the client must be there first. A "
        "client that cannot sync holds back every invoice, sales order and credit note raised to "
        "it; a client that can sync but is not linked yet is pushed first (the document waits).",
        fails=(
            "The document has no client.",
            "The client fails one of its own rules (the finding names that root cause and its "
            "fix): see [record.not_excluded](record.not_excluded.md) and "
            "[record.tenant_set](record.tenant_set.md).",
            "Not yet known: the client's own rules cannot be checked yet.",
        ),
        fixes=(
            FixNote("the document has no client", fixes.set_field(_a("invoice"), "client")),
            FixNote("the client cannot sync: apply the client's own fix, which the finding shows"),
        ),
        screenshot=(
            "invoice-blocked",
            "A blocked invoice: the checklist, each failure linking to its fix.",
        ),
    ),
    "dependency.supplier": RuleProse(
        why="A purchase order refers to its supplier in the tool, so the supplier must be there "
        "first; one that cannot sync holds back every purchase order raised to it.",
        fails=(
            "The purchase order has no supplier.",
            "The supplier fails one of its own rules: see "
            "[record.not_excluded](record.not_excluded.md) and "
            "[record.tenant_set](record.tenant_set.md).",
        ),
        fixes=(
            FixNote(
                "the purchase order has no supplier",
                fixes.set_field(_a("purchase_order"), "supplier"),
            ),
            FixNote(
                "the supplier cannot sync: apply the supplier's own fix, which the finding shows"
            ),
        ),
    ),
    "dependency.product": RuleProse(
        why="Every line refers to its product (an item in the tool). A product that cannot sync "
        "holds back every document with a line for it; one that can sync but is not linked yet "
        "is pushed first.",
        fails=(
            "A line's product fails one of its own rules: see "
            "[record.not_excluded](record.not_excluded.md), "
            "[record.tenant_set](record.tenant_set.md) and the tax and account code rules.",
            "Not yet known: the product's own rules cannot be checked yet.",
        ),
        fixes=(FixNote("apply the product's own fix, which the finding shows"),),
    ),
    "dependency.same_tenant": RuleProse(
        why="A document lands in one tenant, and the tool can only refer to a client and items "
        "of that same tenant. A product set to another tenant would have no counterpart there.",
        fails=(
            "A line's product belongs to another tenant than the document's client or supplier.",
        ),
        fixes=(
            FixNote(
                "move the product to the client's tenant (the doctor's fix names it)",
                fixes.set_field(_a("product"), "tenant"),
            ),
        ),
    ),
    "tax.resolved": RuleProse(
        why="Every line sent to the tool needs a tax rate. booksync looks for it narrowest "
        'first: the line, the client, the product (or its item group when "Use Item Group Tax" '
        "is ticked), then the global default; the doctor's tax section says which level it used "
        "and why it passed over the others.",
        fails=(
            'No level supplies a rate: e.g. "Use Item Group Tax" is ticked but the item group has '
            "no tax rate, and there is no global default.",
        ),
        fixes=(
            FixNote(
                "set the rate where the doctor points", fixes.set_field(_a("product"), "tax_rate")
            ),
            FixNote(
                "or on the item group the product uses",
                fixes.set_field(_a("item_group"), "tax_rate"),
            ),
            FixNote(
                "or make one rate the global default (`booksync tax-rate edit RATE --default`)"
            ),
        ),
    ),
    "tax.mapped": RuleProse(
        why="Each tool knows tax by its own tax types (Xero's OUTPUT, QuickBooks' tax codes). A "
        "rate must map to one the tenant's tool offers, or the tool refuses the document.",
        fails=(
            "The rate has no tax type for the tenant.",
            "It maps to a tax type the tenant does not have (the finding lists the ones offered).",
            "Not yet known: the tenant's tax types have not been imported, or there is no tenant.",
        ),
        fixes=(
            FixNote("map the rate", fixes.map_tax_rate(_a("tax_rate"), TENANT)),
            FixNote("import the tenant's tax types", fixes.import_tenant(TENANT)),
        ),
    ),
    "account_code.set": RuleProse(
        why="Each line posts to an account: income for invoices, sales orders and credit notes, "
        "expense for purchase orders. The product (or its item group) must name the account code "
        "that side needs.",
        fails=(
            "The product has no income (or expense) account code, and neither has its item group.",
            "It names an account code that no longer exists.",
        ),
        fixes=(
            FixNote("set the product's account", fixes.set_field(_a("product"), "income_account")),
            FixNote("for purchase orders", fixes.set_field(_a("product"), "expense_account")),
        ),
    ),
    "account_code.code_set": RuleProse(
        why='The tool knows an account by its code, so the account code\'s "Code" field is what '
        "is sent. An empty Code stops every document with a product using it, as the guide warns.",
        fails=('The account code\'s "Code" field is empty.',),
        fixes=(FixNote("fill in the Code", fixes.set_field(_a("account_code"), "code")),),
        screenshot=("account-code", "An account code's page, where its Code is set."),
    ),
    "account_code.matches_tool": RuleProse(
        why="A Code the tool does not have (or has archived) is refused, so booksync checks it "
        "against the chart of accounts imported from the tenant before pushing.",
        fails=(
            "The Code matches no account of the tenant.",
            "The account is archived in the tool.",
            "Not yet known: the tenant's accounts have not been imported, or there is no tenant.",
        ),
        fixes=(
            FixNote("use a code the tool has", fixes.set_field(_a("account_code"), "code")),
            FixNote("import the tenant's chart of accounts again", fixes.import_tenant(TENANT)),
        ),
    ),
    "tool.accepted": RuleProse(
        why="The checks above catch what booksync can see; the tool may still refuse a push. Its "
        "refusal is kept with the record (translated to a rule where booksync knows the cause) "
        "and, unlike the other rules, a record not pushed yet is only shown, never held back.",
        fails=(
            "The tool rejected the last push (or booksync gave up retrying it).",
            "Waiting: the last push failed and will be retried.",
        ),
        fixes=(
            FixNote(
                "queue the record again once the cause is fixed", fixes.retry_sync(_a("invoice"))
            ),
            FixNote("follow the connector's advice, shown as the fix, where it gave one"),
        ),
    ),
}
