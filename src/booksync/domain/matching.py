"""Which document the tool already has under a document's number may be adopted instead of created.

A create must never update someone else's document (Xero's POST is update-or-create by number).
When the tool holds a document with the same number, booksync links (adopts) it only when it is
plainly the same document: same number, same contact (the party's remote id) and same total, in
the same currency when the tool says which. Anything else is a bookkeeper's own document, and
`document.number_free` refuses with advice instead.
"""

from __future__ import annotations

from decimal import Decimal

from booksync.domain.records import DocumentView, PartyView, RemoteDocumentView

#: Statuses (any case: Xero VOIDED/DELETED, QuickBooks "Voided", the ledger's voided) of a document
#: that no longer stands in the tool: booksync's live document is never linked to one of them.
GONE = frozenset({"voided", "deleted"})


def linkable(
    document: DocumentView, party: PartyView | None, total: Decimal | None
) -> RemoteDocumentView | None:
    """The remote document `document` may be linked to, or None (nothing, or not the same one)."""
    if party is None or not party.remote_id or total is None:
        return None
    for remote in document.remote_matches:
        if (
            remote.number == document.number
            and remote.contact_remote_id == party.remote_id
            and remote.total is not None
            and remote.total == total
            and (remote.currency is None or remote.currency == document.currency)
            and (remote.status or "").casefold() not in GONE
        ):
            return remote
    return None


def conflicts(document: DocumentView) -> tuple[RemoteDocumentView, ...]:
    """The tool's documents under this number that are not this document itself (its remote id)."""
    return tuple(
        r
        for r in document.remote_matches
        if r.number == document.number and r.remote_id != document.remote_id
    )
