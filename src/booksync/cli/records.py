"""Create, edit, show, list and delete for every record type (`booksync client add ...`).

Each record type is declared once as a `RecordCommands` spec; `_record_commands.register` builds
its five commands. Document lines are typed as `--line "PRODUCT:QUANTITY[:UNIT_PRICE[:TAX_RATE]]"`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from booksync.cli import app
from booksync.cli._common import handles_errors, session
from booksync.cli._record_commands import Opt, RecordCommands, register, say
from booksync.cli._record_options import (
    CLEARS,
    CREDITS,
    EXCHANGE_RATE,
    EXCLUDED,
    LINE_FORM,
    PARTY_DETAILS,
    REMOTE_ID,
    TENANT,
    account_opt,
    date_parser,
    parse_lines,
    tax_rate_opt,
    tracking_opt,
)
from booksync.domain.types import EntityType
from booksync.services.errors import BadInput
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
)


def _party(command: str, label: str, help_text: str, service: Any) -> RecordCommands:
    options = [
        Opt("email", f"Billing email; {CLEARS}."),
        Opt("currency", "ISO 4217 currency, e.g. AUD (default: AUD)."),
        tax_rate_opt(f"this {command} (overrides the product's)"),
        *PARTY_DETAILS,
        tracking_opt("its documents default to"),
        TENANT,
        REMOTE_ID,
        EXCLUDED,
    ]
    return RecordCommands(
        command=command,
        label=label,
        help=help_text,
        service=service,
        key="name",
        key_help=f"The {command}'s name.",
        options=options,
        columns=[
            ("id", "id"),
            ("name", "name"),
            ("email", "email"),
            ("currency", "currency"),
            ("tax rate", "tax_rate"),
            ("terms", "payment_terms"),
            ("tenant", "tenant"),
            ("excluded", "exclude_from_accounting"),
            ("remote id", "remote_id"),
        ],
    )


def _document(kind: EntityType) -> RecordCommands:
    docs = DOCUMENTS[kind]
    party = docs.party_field
    return RecordCommands(
        command=kind.value.replace("_", "-"),
        label=kind.label.capitalize(),
        help=f"{kind.label.capitalize()}s: documents raised to a {party}, with lines.",
        service=docs,
        key="number",
        key_help=f"The {kind.label} number, e.g. INV-1001.",
        ref_help="Number or id.",
        options=[
            Opt("party", f"The {party} (name or id).", flags=f"--{party}", required_on_add=True),
            Opt(
                "lines",
                f"A line, {LINE_FORM}; repeat for each line. The unit price defaults to the "
                f"product's {'cost' if party == 'supplier' else 'price'}. On edit the lines "
                "given replace every line.",
                flags="--line",
                multiple=True,
                parse=parse_lines,
                required_on_add=True,
            ),
            Opt(
                "issue_date",
                "Issue date, YYYY-MM-DD (default: today).",
                flags="--date",
                parse=date_parser("--date"),
            ),
            Opt(
                "due_date",
                f"Due date, YYYY-MM-DD; {CLEARS}.",
                flags="--due",
                parse=date_parser("--due"),
            ),
            Opt("currency", f"ISO 4217 currency, e.g. AUD (default: the {party}'s)."),
            Opt("status", "draft, submitted, authorised, paid or voided (default: draft)."),
            Opt("reference", f"Your reference, e.g. a PO number; {CLEARS}."),
            EXCHANGE_RATE,
            tracking_opt(f"for the whole {kind.label}, over the {party}'s and products'"),
            *([CREDITS] if kind is EntityType.CREDIT_NOTE else []),
        ],
        columns=[
            ("id", "id"),
            ("number", "number"),
            (party, party),
            ("date", "issue_date"),
            ("due", "due_date"),
            ("status", "status"),
            ("currency", "currency"),
            ("subtotal", "subtotal"),
            ("remote id", "remote_id"),
        ],
    )


SPECS = [
    _party("client", "Client", "Clients (customers).", CLIENTS),
    _party("supplier", "Supplier", "Suppliers (vendors).", SUPPLIERS),
    RecordCommands(
        command="product",
        label="Product",
        help="Products (items) sold on invoices and bought on purchase orders.",
        service=PRODUCTS,
        key="name",
        key_help="The product's name.",
        options=[
            Opt("code", f"Item code, unique; {CLEARS}."),
            Opt("description", "Default line description."),
            Opt("price", "Sale price, e.g. 49.00."),
            Opt("cost", "Purchase cost, e.g. 30.00."),
            Opt("item_group", f"Item group (name or id); {CLEARS}."),
            Opt(
                "use_item_group_tax",
                "Use the item group's tax rate instead of the product's own.",
                flags="--use-item-group-tax/--no-use-item-group-tax",
                kind=bool,
            ),
            tax_rate_opt("this product"),
            account_opt("income", "sales of this product"),
            account_opt("expense", "purchases of this product"),
            tracking_opt("its lines default to"),
            TENANT,
            REMOTE_ID,
            EXCLUDED,
        ],
        columns=[
            ("id", "id"),
            ("name", "name"),
            ("code", "code"),
            ("price", "price"),
            ("cost", "cost"),
            ("item group", "item_group"),
            ("tax rate", "tax_rate"),
            ("income", "income_account"),
            ("expense", "expense_account"),
            ("tenant", "tenant"),
            ("excluded", "exclude_from_accounting"),
        ],
    ),
    RecordCommands(
        command="item-group",
        label="Item group",
        help="Item groups: a tax rate and account codes their products can inherit.",
        service=ITEM_GROUPS,
        key="name",
        key_help="The item group's name.",
        options=[
            tax_rate_opt("the group's products"),
            account_opt("income", "the group's products"),
            account_opt("expense", "the group's products"),
        ],
        columns=[
            ("id", "id"),
            ("name", "name"),
            ("tax rate", "tax_rate"),
            ("income", "income_account"),
            ("expense", "expense_account"),
        ],
    ),
    RecordCommands(
        command="tax-rate",
        label="Tax rate",
        help="Tax rates, and their tax type in each tenant's tool (`tax-rate map`).",
        service=TAX_RATES,
        key="name",
        key_help="The tax rate's name, e.g. 'GST on Income'.",
        options=[
            Opt("percent", "Percentage from 0 to 100, e.g. 10.", required_on_add=True),
            Opt(
                "is_default",
                "Make this the global default rate (the previous default steps down).",
                flags="--default/--no-default",
                kind=bool,
            ),
        ],
        columns=[
            ("id", "id"),
            ("name", "name"),
            ("percent", "percent"),
            ("default", "is_default"),
            ("tax types", "tax_types"),
        ],
    ),
    RecordCommands(
        command="account-code",
        label="Account code",
        help="Account codes: ledger accounts whose code must match one in the tenant's tool.",
        service=ACCOUNT_CODES,
        key="name",
        key_help="The account's name, e.g. Sales.",
        ref_help="Code, name or id.",
        options=[
            Opt(
                "code",
                "The code as in the accounting tool, e.g. 200. Changing the code (or tenant) of "
                "an account imported from the tool makes it your own: the doctor then checks the "
                "new code against the tool.",
            ),
            Opt("kind", "income (sales) or expense (purchases).", required_on_add=True),
            TENANT,
            Opt(
                "imported_from_tool",
                "Whether the account was imported from the tenant's tool: set by `booksync tenant "
                "import` only; --not-imported-from-tool makes it your own.",
                flags="--imported-from-tool/--not-imported-from-tool",
                kind=bool,
            ),
            Opt("active", "Whether the account is active.", flags="--active/--inactive", kind=bool),
        ],
        columns=[
            ("id", "id"),
            ("name", "name"),
            ("code", "code"),
            ("kind", "kind"),
            ("tenant", "tenant"),
            ("imported", "imported_from_tool"),
            ("active", "active"),
        ],
    ),
    *(_document(kind) for kind in EntityType if kind.is_document),
]

GROUPS: dict[str, typer.Typer] = {spec.command: register(app, spec) for spec in SPECS}


# -- tax rate mappings -------------------------------------------------------------------------

tax_rate_app = GROUPS["tax-rate"]


#: The service's field -> the flag `tax-rate map` takes it from.
MAP_FLAGS = {
    "tax_type": "--tax-type",
    "purchase_tax_type": "--purchase-tax-type",
    "tenant": "--tenant",
}


@tax_rate_app.command("map")
@handles_errors
def tax_rate_map(
    ctx: typer.Context,
    rate: Annotated[str, typer.Argument(help="Tax rate (name or id).", show_default=False)],
    tenant: Annotated[str, typer.Option(help="Tenant (name or id).", show_default=False)],
    tax_type: Annotated[
        str | None,
        typer.Option(
            help="The tool's tax type for sales, e.g. OUTPUT2, spelt as the tool does (once the "
            "tenant is imported, one of its tax types). Required the first time.",
            show_default=False,
        ),
    ] = None,
    purchase_tax_type: Annotated[
        str | None,
        typer.Option(
            help="The tool's tax type for purchase orders, e.g. INPUT2; an empty value removes it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Map a tax rate to the tax types of one tenant's tool (replacing any earlier mapping)."""
    try:
        with session(ctx) as s:
            mapping = TAX_RATES.map(s, rate, tenant, tax_type, purchase_tax_type=purchase_tax_type)
            shown = f"'{mapping.tax_rate.name}' maps to {mapping.tax_type}"
            if mapping.purchase_tax_type:
                shown += f" (purchases: {mapping.purchase_tax_type})"
            shown += f" in '{mapping.tenant.name}'"
    except BadInput as exc:
        flag = MAP_FLAGS.get(exc.field, exc.field)
        raise type(exc)(flag, exc.value, exc.problem, exc.accepted) from None
    say(f"Tax rate {shown}.")


@tax_rate_app.command("unmap")
@handles_errors
def tax_rate_unmap(
    ctx: typer.Context,
    rate: Annotated[str, typer.Argument(help="Tax rate (name or id).", show_default=False)],
    tenant: Annotated[str, typer.Option(help="Tenant (name or id).", show_default=False)],
) -> None:
    """Remove a tax rate's mapping for one tenant."""
    with session(ctx) as s:
        name = TAX_RATES.get(s, rate).name
        TAX_RATES.unmap(s, rate, tenant)
    say(f"Tax rate '{name}' no longer maps to a tax type in '{tenant}'.")
