"""A fix in each face's words: the command line, the web admin page, and the fix as JSON.

The rules say what to change (`booksync.domain.fixes.Fix`); this module says it. It sits in the
service layer because the doctor's JSON, which the CLI's `--json`, the API and the web admin all
read, carries all three renderings side by side: `fix` (the command a person can paste), `fix_page`
(where the web admin sets it) and `remedy` (the fix as data, for programs).
"""

from __future__ import annotations

import shlex
from typing import Any, assert_never

from booksync.domain.fixes import UNNAMED, Action, Fix
from booksync.domain.records import Subject

#: What the command line shows for a value the person chooses, by the field it goes into.
PLACEHOLDERS = {
    "tenant": "TENANT",
    "client": "NAME",
    "supplier": "NAME",
    "name": "NAME",
    "tax_rate": "RATE",
    "tax_types": "TAX_TYPE",
    "income_account": "CODE",
    "expense_account": "CODE",
    "code": "CODE",
    "email": "EMAIL",
    "purchase_tax_types": "TAX_TYPE",
    "number": "NUMBER",
    "issue_date": "YYYY-MM-DD",
    "due_date": "YYYY-MM-DD",
    "currency": "CURRENCY",
    "tracking": "CATEGORY=OPTION",
    "lines": "PRODUCT:QUANTITY",
}
#: Fields whose command-line option is not `--FIELD` (a document's dates and lines).
FLAGS = {"issue_date": "--date", "due_date": "--due", "lines": "--line"}
#: The same for a record nobody can name yet, by its type.
UNNAMED_REFS = {"integration": "KIND", "tenant": "TENANT", "tax_rate": "RATE"}
#: Yes/no fields whose options are a pair of switches: field -> (switch for yes, switch for no).
SWITCHES = {"exclude_from_accounting": ("--exclude-from-accounting", "--include-in-accounting")}


def command_line(fix: Fix) -> str:
    """The `booksync ...` command that applies `fix`, quoted for pasting into a shell."""
    subject, ref = fix.subject, _ref(fix.subject)
    match fix.action:
        case Action.ENABLE_INTEGRATION:
            return f"booksync integration enable {ref}"
        case Action.TICK_ENTITIES:
            entities = ",".join(e.value for e in fix.entities)
            return f"booksync integration configure {ref} --entities {entities}"
        case Action.CONNECT_TENANT:
            return f"booksync tenant connect {ref}"
        case Action.IMPORT_TENANT:
            return f"booksync tenant import {ref}"
        case Action.SET_FIELD:
            return f"booksync {_noun(subject)} edit {ref} {_option(fix)}"
        case Action.MAP_TAX_RATE:
            tenant = _ref(fix.tenant) if fix.tenant else "TENANT"
            tax_type = _value(fix.value, "tax_types")
            side = "--purchase-tax-type" if fix.field == "purchase_tax_types" else "--tax-type"
            return f"booksync tax-rate map {ref} --tenant {tenant} {side} {tax_type}"
        case Action.RETRY_SYNC:
            return f"booksync sync retry {subject.type} {ref}"
        case Action.TOOL_ADVICE:
            return fix.advice or f"booksync sync retry {subject.type} {ref}"
        case _:
            assert_never(fix.action)


def web_page(fix: Fix) -> str | None:
    """Where the web admin sets it: the subject's page and the field's anchor (`/account-codes/7#code`).

    None when the subject has no page yet (a record a tool named that booksync cannot point at).
    """
    subject = fix.subject
    if subject.type == "integration":
        path = "/integrations" if subject.ref == UNNAMED else f"/integrations/{subject.ref}"
    elif subject.id is None:
        return None
    else:
        path = f"/{_noun(subject)}s/{subject.id}"
    return path + (f"#{fix.field}" if fix.field else "")


def remedy(fix: Fix) -> dict[str, Any]:
    """The fix as JSON data: every key always present, null where the action does not use it."""
    return {
        "action": fix.action.value,
        "subject": _subject(fix.subject),
        "field": fix.field,
        "value": fix.value,
        "tenant": _subject(fix.tenant) if fix.tenant else None,
        "entities": [e.value for e in fix.entities],
        "advice": fix.advice,
    }


def fix_json(fix: Fix | None) -> dict[str, Any]:
    """The doctor's JSON keys for one fix: `fix`, `fix_page` and `remedy` (all null without one)."""
    if fix is None:
        return {"fix": None, "fix_page": None, "remedy": None}
    return {"fix": command_line(fix), "fix_page": web_page(fix), "remedy": remedy(fix)}


def _subject(subject: Subject) -> dict[str, Any]:
    return {"type": subject.type, "id": subject.id, "ref": subject.ref}


def _noun(subject: Subject) -> str:
    """The record type as the CLI's commands and the web's paths spell it: `item-group`."""
    return subject.type.replace("_", "-")


def _ref(subject: Subject) -> str:
    """How the CLI names a record: an account code by its id (its Code may be the problem)."""
    if subject.ref == UNNAMED:
        return UNNAMED_REFS.get(subject.type, "REF")
    if subject.type == "account_code" and subject.id is not None:
        return str(subject.id)
    return shlex.quote(subject.ref)


def _value(value: str | bool | None, field: str) -> str:
    if value is None:
        return PLACEHOLDERS.get(field, field.upper())
    return shlex.quote(str(value))


def _option(fix: Fix) -> str:
    field = fix.field or ""
    flag = FLAGS.get(field, "--" + field.replace("_", "-"))
    if isinstance(fix.value, bool):
        on, off = SWITCHES.get(field, (flag, f"--no-{flag[2:]}"))
        return on if fix.value else off
    return f"{flag} {_value(fix.value, field)}"
