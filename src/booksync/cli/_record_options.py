"""The options several record commands share, and how their typed text is read: document lines,
dates, payment terms, addresses and tracking. Each refusal names the flag the user typed."""

from __future__ import annotations

from datetime import date
from typing import Any

from booksync.cli._record_commands import Opt
from booksync.services.errors import BadInput
from booksync.services.input_fields import TERMS_ACCEPTED, TRACKING_ACCEPTED, parse_tracking

LINE_FORM = (
    "PRODUCT:QUANTITY[:UNIT_PRICE[:TAX_RATE]], e.g. 'Backup 1TB:2:49.00' "
    "(give a product whose name contains ':' by its id)"
)


def parse_line(text: str) -> dict[str, str]:
    """`Backup 1TB:2:49.00:GST` -> a line input; amounts are left as text for the service to check."""
    parts = [part.strip() for part in text.split(":", 3)]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise BadInput("--line", text, "is not a document line", LINE_FORM)
    line = {"product": parts[0], "quantity": parts[1]}
    if len(parts) > 2 and parts[2]:
        line["unit_price"] = parts[2]
    if len(parts) > 3 and parts[3]:
        line["tax_rate"] = parts[3]
    return line


def parse_lines(texts: list[str]) -> list[dict[str, str]]:
    return [parse_line(text) for text in texts]


def date_parser(flag: str) -> Any:
    """A parser for a date option; an empty value clears the date."""

    def parse(text: str) -> date | None:
        text = text.strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise BadInput(flag, text, "is not a date", "YYYY-MM-DD, e.g. 2025-07-01") from None

    return parse


def _tracking(texts: list[str]) -> dict[str, str] | None:
    return parse_tracking("--tracking", texts)


CLEARS = "an empty value clears it"
TENANT = Opt("tenant", f"Accounting tenant (name or id); {CLEARS}.")
REMOTE_ID = Opt("remote_id", f"The accounting tool's unique ID for this record; {CLEARS}.")
EXCLUDED = Opt(
    "exclude_from_accounting",
    "Exclude from Accounting Integration (never synced), or include it again.",
    flags="--exclude-from-accounting/--include-in-accounting",
    kind=bool,
)


def tax_rate_opt(whose: str) -> Opt:
    return Opt("tax_rate", f"Tax rate for {whose} (name or id); {CLEARS}.")


def account_opt(kind: str, whose: str) -> Opt:
    return Opt(
        f"{kind}_account",
        f"{kind.capitalize()} account code for {whose} (code, name or id; with --tenant, one of "
        f"that tenant's or your own); {CLEARS}.",
    )


def tracking_opt(whose: str) -> Opt:
    return Opt(
        "tracking",
        f"Tracking {whose}, {TRACKING_ACCEPTED}; repeat for each category. The categories given "
        "replace the earlier ones.",
        multiple=True,
        parse=_tracking,
        metavar="CATEGORY=OPTION",
    )


#: A client's or supplier's payment terms and postal address.
PARTY_DETAILS = [
    Opt(
        "payment_terms",
        f"Payment terms that set the due date of its documents that have none: {TERMS_ACCEPTED} "
        "(then the tenant's default applies).",
        metavar="TERMS",
    ),
    Opt(
        "lines",
        "A street line of its postal address; repeat for each (at most 4). The lines given "
        f"replace the earlier ones; {CLEARS}.",
        flags="--address-line",
        multiple=True,
        into="address",
        metavar="LINE",
    ),
    Opt("city", f"The address's city; {CLEARS}.", into="address"),
    Opt("region", f"The address's state, province or region; {CLEARS}.", into="address"),
    Opt("postal_code", f"The address's postal code; {CLEARS}.", into="address"),
    Opt("country", f"The address's country, e.g. AU or Australia; {CLEARS}.", into="address"),
]

EXCHANGE_RATE = Opt(
    "exchange_rate",
    "Units of the tenant's base currency per unit of the document's currency, e.g. 1.5234 "
    f"(default: the tool's own rate on the day); {CLEARS}.",
    metavar="RATE",
)
CREDITS = Opt(
    "credits",
    "The invoice this credit note credits (its number or id; an invoice of the same client), "
    f"which the tool allocates it to; {CLEARS}.",
    metavar="INVOICE_NUMBER",
)
