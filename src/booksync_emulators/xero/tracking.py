"""Tracking on a line item: `Tracking: [{Name, Option}]` (or the IDs), checked against the
organisation's tracking categories.

A line names at most two categories, one option each: Xero limits an organisation to two tracking
categories and a transaction to one option of each (hamsterstack.com/how-to/xero/set-up-tracking-
categories: "Xero has a limit of 2 tracking categories per organisation";
help.quotevineapp.com/en/articles/9675197: "only a maximum of two categories can ever be attached
to the invoice"; spec LineItemTracking, tests/specs/xero/xero_accounting.yaml line 20768). A
category or option that does not exist, or is archived, is refused. Xero's exact wording for these
refusals was not found, so the messages below are the emulator's (validation.py explains).
"""

from __future__ import annotations

from typing import Any

from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.validation import Problems

MAX_CATEGORIES = 2
TOO_MANY = "A line item can have at most 2 tracking categories."
NO_CATEGORY = "Tracking category '{name}' does not exist or is not active."
NO_OPTION = "Tracking option '{option}' does not exist or is not active in category '{name}'."
TWICE = "Tracking category '{name}' is given twice on one line item."


def line_tracking(org: Org, raw: Any, problems: Problems) -> list[Record]:
    """The line's tracking as Xero stores it (IDs and names), adding a problem for each bad entry."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        problems.add("Tracking must be a list of {Name, Option} objects.")
        return []
    if len(raw) > MAX_CATEGORIES:
        problems.add(TOO_MANY)
    out: list[Record] = []
    for entry in raw:
        resolved = _one(org, entry, problems)
        if resolved is None:
            continue
        if any(t["TrackingCategoryID"] == resolved["TrackingCategoryID"] for t in out):
            problems.add(TWICE.format(name=resolved["Name"]))
            continue
        out.append(resolved)
    return out


def _one(org: Org, entry: dict[str, Any], problems: Problems) -> Record | None:
    wanted = str(entry.get("TrackingCategoryID") or entry.get("Name") or "")
    category = org.tracking_category(wanted) if wanted else None
    if category is None or category["Status"] != "ACTIVE":
        problems.add(NO_CATEGORY.format(name=wanted))
        return None
    option_key = str(entry.get("TrackingOptionID") or entry.get("Option") or "")
    option = next(
        (
            o
            for o in category["Options"]
            if o["Status"] == "ACTIVE"
            and (
                o["TrackingOptionID"] == option_key
                or o["Name"].casefold() == option_key.strip().casefold()
            )
        ),
        None,
    )
    if option is None:
        problems.add(NO_OPTION.format(option=option_key, name=category["Name"]))
        return None
    return {
        "TrackingCategoryID": category["TrackingCategoryID"],
        "TrackingOptionID": option["TrackingOptionID"],
        "Name": category["Name"],
        "Option": option["Name"],
    }
