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
        "of that same tenant. A product of another tenant has no counterpart there, and what the "
        "tenant-specific checks then find on that line (its tax rate not mapped here, its "
        "account not in this chart) are knock-ons: the doctor shows the line as their one root "
        "cause, never a fix that would re-map or re-code the product for its own tenant.",
        fails=(
            "A line's product belongs to another tenant than the document's client or supplier.",
        ),
        fixes=(
            FixNote(
                "use a product of the client's tenant on that line (the doctor names the line)",
                fixes.set_field(_a("invoice"), "lines"),
            ),
            FixNote(
                "or, when the product itself is in the wrong tenant and no other document uses "
                "it, move it",
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
            "It maps to a tax type the tenant does not have (the finding lists the ones offered; a "
            "different case counts, as the tool refuses output2 for OUTPUT2).",
            "Not yet known: the tenant's tax types have not been imported, or there is no tenant.",
        ),
        fixes=(
            FixNote("map the rate", fixes.map_tax_rate(_a("tax_rate"), TENANT)),
            FixNote("import the tenant's tax types", fixes.import_tenant(TENANT)),
        ),
    ),
    "tax.purchase_mapped": RuleProse(
        why="A tool taxes purchases with its own tax types, and refuses a sales one on a purchase "
        "(Xero: \"TaxType 'OUTPUT' cannot be used with account code '310'\"). So each rate a "
        "purchase order uses needs a purchase tax type for the tenant, checked exactly as the "
        "tool spells its tax types.",
        fails=(
            "The rate has no purchase tax type for the tenant.",
            "It maps to a tax type the tenant does not have (a different case counts: the tool "
            "refuses output2 for OUTPUT2; the finding suggests the tool's spelling).",
            "Not yet known: the tenant's tax types have not been imported, or there is no tenant.",
        ),
        fixes=(
            FixNote(
                "map the rate's purchase side", fixes.map_purchase_tax_rate(_a("tax_rate"), TENANT)
            ),
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
        "against the chart of accounts imported from the tenant before pushing. Only the codes "
        "the import brought count: editing an imported account's Code makes it your own, and "
        "it passes only once the tool has that code.",
        fails=(
            "The Code matches no account of the tenant (e.g. an imported account edited to a code "
            "the tool does not have).",
            "The account is archived in the tool.",
            "Not yet known: the tenant's accounts have not been imported, or there is no tenant.",
        ),
        fixes=(
            FixNote("use a code the tool has", fixes.set_field(_a("account_code"), "code")),
            FixNote("import the tenant's chart of accounts again", fixes.import_tenant(TENANT)),
        ),
    ),
    "contact.not_archived": RuleProse(
        why="A client or supplier linked to a contact the tool has archived cannot be written to, "
        "and neither can the documents raised to it. booksync knows which contacts are archived "
        "from the tenant's last import.",
        fails=(
            "The linked contact is archived in the tool.",
            "Not yet known: the tenant has not been imported (shown, not held back).",
        ),
        fixes=(
            FixNote(
                "restore the contact in the tool, then import the tenant again",
                fixes.import_tenant(TENANT),
            ),
            FixNote(
                "or unlink it to have booksync create a new contact",
                fixes.set_field(_a("client"), "remote_id", ""),
            ),
        ),
    ),
    "currency.enabled": RuleProse(
        why="A tool refuses a document in a currency its organisation or company has not "
        "enabled (a USD invoice to an Australian organisation without USD). booksync checks the "
        "document's (and the client's or supplier's) currency against the tenant's currencies "
        "imported from the tool.",
        fails=(
            "The currency is not among the tenant's enabled currencies nor its base currency.",
            "Not yet known: the tenant's settings have not been imported (shown, not held back: a "
            "tool that cannot report them still syncs).",
        ),
        fixes=(
            FixNote(
                "change the currency (the doctor suggests the base currency)",
                fixes.set_field(_a("invoice"), "currency"),
            ),
            FixNote(
                "or enable it in the tool, then import the tenant again",
                fixes.import_tenant(TENANT),
            ),
        ),
    ),
    "tracking.matches_tool": RuleProse(
        why="Tracking (Xero tracking categories, QuickBooks classes and locations) is sent by name, "
        "and the tool refuses a category or option it does not have.",
        fails=(
            "The record (or, on a document, its client, supplier or a line's product) uses a "
            "category or option the tenant does not have.",
            "Not yet known: the tenant's settings have not been imported.",
        ),
        fixes=(
            FixNote(
                "use a category and option the tool has", fixes.set_field(_a("client"), "tracking")
            ),
            FixNote(
                "or add it in the tool, then import the tenant again", fixes.import_tenant(TENANT)
            ),
        ),
    ),
    "document.number_free": RuleProse(
        why="A create must never land on someone else's document: Xero's create is "
        "update-or-create by number, so a bookkeeper's own INV-0042 would be overwritten. When "
        "the tool holds a document under the number, booksync links to it only if the contact "
        'and the total agree (the doctor says "will be linked to" and the remote id); '
        "otherwise it holds its own document back.",
        fails=(
            "The tool has another document under this number (another contact or total).",
            "Not yet known: the tenant has not been imported, or a line's total cannot be told.",
        ),
        fixes=(
            FixNote("renumber the document in booksync", fixes.renumber(_a("invoice"))),
            FixNote("or, if it is the same document, link them by hand in the tool"),
        ),
    ),
    "document.after_lock_date": RuleProse(
        why="Tools refuse to post into a locked period (Xero's period and end-of-year lock "
        "dates, QuickBooks' closing date). An approved invoice or credit note dated on or before "
        "the tenant's lock date would be refused; a draft posts nothing and is let through.",
        fails=(
            "The document is dated on or before the tenant's lock date.",
            "Not yet known: the tenant's settings have not been imported.",
        ),
        fixes=(
            FixNote(
                "date the document after the lock date",
                fixes.set_field(_a("invoice"), "issue_date"),
            ),
            FixNote(
                "or have the lock date moved in the tool, then import the tenant again",
                fixes.import_tenant(TENANT),
            ),
        ),
    ),
    "document.due_date_set": RuleProse(
        why="An approved invoice needs a due date: the tools refuse one without. booksync takes "
        "the invoice's own, else the client's payment terms, else the tenant's default terms, "
        "and applies them as the tools do (the doctor says which it used).",
        fails=(
            "The approved invoice has no due date, and neither its client nor the tenant has "
            "payment terms.",
            "Not yet known: the client has no terms and the tenant's settings (its default terms) "
            "have not been imported.",
        ),
        fixes=(
            FixNote("give the invoice a due date", fixes.set_field(_a("invoice"), "due_date")),
            FixNote(
                "or give the client payment terms", fixes.set_field(_a("client"), "payment_terms")
            ),
        ),
    ),
    "document.editable_in_tool": RuleProse(
        why="Once the bookkeeper has taken a payment against a document, or voided or deleted it, "
        'the tool refuses an edit (Xero: "Invoice not of valid status for modification"), and '
        "pushing over it would fight the bookkeeper. booksync reads each linked document's state "
        "back from the tool (webhooks and polling) and holds an edit of one that is settled or "
        "gone, instead of sending it to be refused. Until booksync has read a document back, "
        "nothing is known against it and this check passes.",
        fails=(
            "The invoice is paid or partly paid in the tool and booksync has an edit of it to "
            "push: the tool's practice is a credit note and a new invoice.",
            "The document is voided or deleted in the tool (or a paid order or credit note) and "
            "booksync has an edit of it to push.",
        ),
        fixes=(
            FixNote(
                "reissue the invoice: one command makes a credit note for what the tool holds "
                "and a new invoice (NUMBER-R1) with booksync's lines, and puts the original back "
                "to what the tool holds",
                fixes.tool_advice(_a("invoice"), "booksync invoice reissue NUMBER"),
            ),
            FixNote(
                "for a voided or deleted document, create a new one for the change instead, or "
                "accept the tool's version (see `booksync drift`)",
                fixes.tool_advice(_a("invoice"), "booksync drift accept invoice NUMBER"),
            ),
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
    "tool.totals_match": RuleProse(
        why="After every push booksync compares what the tool booked (its total, tax, line count "
        "and contact) with what it computed, so a difference is never silent: it is how a "
        "fidelity gap on a real company (a unit price rounded, tax rounded differently) is "
        "caught. It needs a person's attention but does not stop the next push of an edit.",
        fails=(
            "The tool booked a figure differently; the finding names each field with both figures.",
            "Not yet known: the record has not been booked by the tool yet.",
        ),
        fixes=(
            FixNote(
                "check the document in the tool and correct it there, or edit it in booksync so "
                "the next push sends it again (the doctor's fix says which record)"
            ),
        ),
    ),
}
