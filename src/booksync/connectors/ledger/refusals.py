"""The ledger's refusals: why an element is not written, with the rule it maps to, and the checks
of account codes and tax types against the ledger's chart (as Xero checks them)."""

from __future__ import annotations

from decimal import Decimal

from booksync.connectors.ledger.book import Book, ChartEntry


class Rejected(Exception):
    """The ledger refuses one element; `rule` is the brief's rule id when the refusal maps to one."""

    def __init__(self, message: str, rule: str | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.message, self.rule, self.fix = message, rule, fix


def codes(book: Book) -> str:
    active = [code for code, c in sorted(book.accounts.items()) if c.active and c.kind]
    return ", ".join(active) or "none"


def tax_types(book: Book) -> str:
    return ", ".join(t for t, c in sorted(book.taxes.items()) if c.active) or "none"


def check_account(book: Book, code: str, where: str) -> ChartEntry:
    if not code.strip():
        raise Rejected(
            f"{where}: the account code's Code is empty; active codes: {codes(book)}",
            "account_code.code_set",
            f"fill in the account code's Code with one of the ledger's codes: {codes(book)}",
        )
    chart = book.accounts.get(code)
    rule = "account_code.matches_tool"
    if chart is None or chart.kind is None:
        what = (
            "is not in the ledger's chart of accounts"
            if chart is None
            else (f"is {chart.account}, not an income or expense account")
        )
        raise Rejected(
            f"{where}: account code '{code}' {what}; active codes: {codes(book)}",
            rule,
            f"set the account code's Code to one of {codes(book)}, or open an "
            f'Income/Expenses account with code: "{code}" in the ledger, then import account codes',
        )
    if not chart.active:
        raise Rejected(
            f"{where}: account code '{code}' ({chart.account}) is archived in the ledger",
            rule,
            f"use an active account code ({codes(book)}), or reopen {chart.account}",
        )
    return chart


def check_tax(book: Book, tax_type: str, percent: Decimal | None, where: str) -> ChartEntry:
    chart = book.taxes.get(tax_type)
    rule, accepted = "tax.mapped", tax_types(book)
    if chart is None:
        raise Rejected(
            f"{where}: tax type '{tax_type}' is not in the ledger; accepted: {accepted}",
            rule,
            f"map the tax rate to one of the ledger's tax types: {accepted}",
        )
    if not chart.active:
        raise Rejected(
            f"{where}: tax type '{tax_type}' ({chart.account}) is archived in the ledger",
            rule,
            f"map the tax rate to an active tax type: {accepted}",
        )
    if percent is not None and percent != chart.percent:
        raise Rejected(
            f"{where}: tax type '{tax_type}' is {chart.percent.normalize():f}% in the ledger, "
            f"the line says {percent.normalize():f}%",
            rule,
            f"map the tax rate to a tax type of the same percentage ({accepted})",
        )
    return chart
