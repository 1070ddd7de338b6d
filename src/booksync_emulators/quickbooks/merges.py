"""Merging two customers (or two vendors), as a bookkeeper does in QuickBooks Online's screens:
give one the other's exact name and QBO asks whether to merge them.

The API has no merge operation, so tests call `Realm.merge`. The emulator moves every transaction whose
CustomerRef / VendorRef names the merged-away record to the one kept (each an Update), makes the
merged-away record inactive ("<name> (deleted)", names.py) and reports the merge as one `Merge`
operation on the kept record, with the merged-away Id as `deletedId` (an emulator choice: the
Merge operation itself is in Intuit's table of webhook operations for Customer and Vendor,
https://www.developer.intuit.com/app/developer/qbo/docs/develop/webhooks, whose sample payloads
were not available to check the merged-away id's field name). CDC lists the merged-away record
with status "Deleted".
"""

from __future__ import annotations

from booksync_emulators.quickbooks import transactions
from booksync_emulators.quickbooks.names import DELETED
from booksync_emulators.quickbooks.store import Realm, Record, stamp

MERGEABLE = ("Customer", "Vendor")


def merge(realm: Realm, entity: str, from_id: str, into_id: str) -> Record:
    """Merge `from_id` into `into_id` (both `entity`); return the record kept."""
    if entity not in MERGEABLE:
        raise ValueError(f"{entity} cannot be merged: only {', '.join(MERGEABLE)}")
    if from_id == into_id:
        raise ValueError(f"{entity} {from_id} cannot be merged into itself")
    with realm.lock:
        gone, kept = realm.get(entity, from_id), realm.get(entity, into_id)
        if gone is None or kept is None:
            raise KeyError(f"{entity} {from_id if gone is None else into_id} does not exist")
        now = realm.clock() if realm.clock is not None else realm.created
        for kind in transactions.KINDS.values():
            if kind.party_entity != entity:
                continue
            for txn in realm.table(kind.entity).values():
                if (txn.get(kind.party_field) or {}).get("value") == from_id:
                    txn[kind.party_field] = {"value": into_id, "name": kept["DisplayName"]}
                    txn["SyncToken"] = str(int(txn["SyncToken"]) + 1)
                    stamp(txn, now, created=False)
                    realm.changed(kind.entity, txn["Id"], "Update", now)
        for payment in realm.table("Payment").values():
            if entity == "Customer" and (payment.get("CustomerRef") or {}).get("value") == from_id:
                payment["CustomerRef"] = {"value": into_id, "name": kept["DisplayName"]}
                stamp(payment, now, created=False)
                realm.changed("Payment", payment["Id"], "Update", now)
        gone["Active"] = False
        if not gone["DisplayName"].endswith(DELETED):
            gone["DisplayName"] += DELETED
        gone["SyncToken"] = str(int(gone["SyncToken"]) + 1)
        stamp(gone, now, created=False)
        realm.deleted[(entity, from_id)] = now
        kept["SyncToken"] = str(int(kept["SyncToken"]) + 1)
        stamp(kept, now, created=False)
        realm.changed(entity, into_id, "Merge", now, {"deletedId": from_id})
        return kept
