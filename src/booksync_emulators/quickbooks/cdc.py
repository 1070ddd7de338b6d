"""Change Data Capture: `GET /v3/company/{realmId}/cdc?entities=Invoice,Customer&changedSince=...`.

From https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/
change-data-capture: "returns the full payload for entities that changed within the specified
look-back period"; "CDC operations can track changes within the last 30 days"; "Server responses
can handle a maximum of 1,000 objects". Deleted objects come back as `{"Id", "status": "Deleted"}`
(as CDC clients read them, e.g. "a record carrying status: Deleted was removed",
https://glama.ai/mcp/connectors/com.caribooks/quickbooks/tools/get_changes). The answer's shape
is what python-quickbooks' `quickbooks.cdc.change_data_capture` parses: `{"CDCResponse":
[{"QueryResponse": [{"Invoice": [...], "startPosition", "maxResults", "totalCount"}, ...]}],
"time"}` (one QueryResponse per entity asked, in the order asked).

A `changedSince` more than 30 days back is refused with the words QBO uses, "Operation cdc with
changedSince date {date} which is older than fixed days is not supported." (quoted in
github.com/Wish-Org/QuickBooksSharp/issues/19; the code, 4001, is the emulator's). Objects changed
at or after `changedSince` are listed oldest change first; past 1,000 for one entity the rest are
left out (the cap is documented per response; the emulator applies it per entity, so a client that
gets 1,000 must ask again from the last one's time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from booksync_emulators.quickbooks import errors
from booksync_emulators.quickbooks.entities import entity_named
from booksync_emulators.quickbooks.errors import Fault, FaultError
from booksync_emulators.quickbooks.store import Realm, Record
from booksync_emulators.quickbooks.wire import meta_time, parse_time

WINDOW = timedelta(days=30)
CAP = 1000


def too_old(text: str) -> Fault:
    return Fault(
        FaultError(
            "4001",
            "Invalid query",
            f"Operation cdc with changedSince date {text} which is older than fixed days is "
            "not supported.",
            "changedSince",
        )
    )


def run(realm: Realm, entities: str | None, changed_since: str | None, now: datetime) -> Any:
    """The `CDCResponse` list for one call; raises `Fault` for a bad or too old request."""
    if not entities:
        raise errors.required("entities")
    if not changed_since:
        raise errors.required("changedSince")
    try:
        since = parse_time(changed_since)
    except ValueError:
        raise errors.invalid_property(
            "changedSince", f"'{changed_since}' is not a date-time (use 2026-11-01T00:00:00Z)"
        ) from None
    if since < now - WINDOW:
        raise too_old(changed_since)
    answers = []
    for name in [n.strip() for n in entities.split(",") if n.strip()]:
        entity = entity_named(name)
        if entity is None:
            raise errors.invalid_property("entities", f"'{name}' is not an entity CDC knows")
        answers.append(_changes(realm, entity.name, since))
    return [{"QueryResponse": answers}]


def _when(realm: Realm, entity: str, record: Record) -> datetime | None:
    exact = realm.touched.get((entity, record["Id"]))
    if exact is not None:
        return exact
    text = (record.get("MetaData") or {}).get("LastUpdatedTime")
    return parse_time(text) if text else None


def _changes(realm: Realm, entity: str, since: datetime) -> dict[str, Any]:
    found: list[tuple[datetime, Record]] = []
    for record in realm.table(entity).values():
        when = _when(realm, entity, record)
        if when is not None and when >= since:
            found.append((when, record))
    for (kind, object_id), when in realm.deleted.items():
        if kind == entity and when >= since and realm.get(entity, object_id) is None:
            tombstone = {"domain": "QBO", "status": "Deleted", "Id": object_id,
                         "MetaData": {"LastUpdatedTime": meta_time(when)}}  # fmt: skip
            found.append((when, tombstone))
    for (kind, object_id), when in realm.deleted.items():
        merged = realm.get(entity, object_id) if kind == entity else None
        if merged is not None and when >= since:  # a merged-away name: kept, but reported gone
            found = [(w, r) for w, r in found if r is not merged]
            found.append((when, {**merged, "status": "Deleted"}))
    found.sort(key=lambda pair: pair[0])
    objects = [record for _, record in found[:CAP]]
    if not objects:
        return {}
    return {entity: objects, "startPosition": 1, "maxResults": len(objects),
            "totalCount": len(objects)}  # fmt: skip
