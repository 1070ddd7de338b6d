"""What comes back from QuickBooks Online (issue 13): `StateRead`, `ChangeFeed` and `PaymentPush`
for the QuickBooks connector, mixed into `QuickBooksConnector`.

- States: one query per record type and 30 ids, `SELECT * FROM Invoice WHERE Id IN (...)` (names
  with `Active IN (true, false)`, as name lists answer active ones only otherwise), then one query
  per 30 of the Payments their LinkedTxn names. An id QuickBooks does not answer for is DELETED.
- Changes: Change Data Capture, `GET /v3/company/{realm}/cdc?entities=...&changedSince=...`
  ("returns the full payload for entities that changed within the specified look-back period";
  "CDC operations can track changes within the last 30 days"; "Server responses can handle a
  maximum of 1,000 objects", https://developer.intuit.com/app/developer/qbo/docs/learn/
  explore-the-quickbooks-online-api/change-data-capture), the answer as python-quickbooks'
  `quickbooks.cdc.change_data_capture` reads it (`CDCResponse[0].QueryResponse[]`, one element per
  entity). Payments are asked for beside invoices and credit memos, so a payment made, changed or
  deleted marks the documents it is applied to changed. A type that comes back with 1,000 objects
  is asked again from the latest one's LastUpdatedTime.
- Older than the window: a `since` of None, or one further back than 30 days (less an hour, so the
  clocks' difference never makes QuickBooks refuse it), is answered by reading every record by
  query, plus CDC over the window for the deletions in it. Deletions before the window cannot be
  listed by QuickBooks at all; they show when `states` reads the linked ids (DELETED). This keeps
  polling working after a long outage instead of failing until someone resets the watermark.
- Payments: `payments.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from booksync.clock import Clock
from booksync.connectors.protocol import ConnectorError
from booksync.connectors.quickbooks import payments
from booksync.connectors.quickbooks.api import ACTIVE_OR_NOT, IDS_PER_READ, literal
from booksync.connectors.quickbooks.mapping import ENTITIES
from booksync.connectors.quickbooks.reading import QuickBooksReading
from booksync.connectors.quickbooks.states import deleted, linked_payments, state_of, updated_at
from booksync.connectors.two_way import PaymentPayload, RemotePayment, RemoteState
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.quickbooks import mapping

WINDOW_DAYS = 30
#: Kept off the window's edge, so QuickBooks' clock never finds `changedSince` too old.
WINDOW_MARGIN = timedelta(hours=1)
CDC_CAP = 1000
#: Payments name the documents they are applied to by these TxnTypes.
PAID_TYPES = {"Invoice": EntityType.INVOICE, "CreditMemo": EntityType.CREDIT_NOTE}


def changed_since(since: datetime) -> str:
    """CDC's `changedSince`: UTC with its offset, to the second, rounded down."""
    if since.tzinfo is None:
        raise ValueError(f"since {since!r} has no time zone; booksync's times are UTC")
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _is_name(entity: EntityType) -> bool:
    return entity.is_party or entity is EntityType.PRODUCT


class QuickBooksTwoWay(QuickBooksReading):
    """`StateRead`, `ChangeFeed` and `PaymentPush` for QuickBooks Online."""

    clock: Clock
    feed_window_days: int | None = WINDOW_DAYS

    def refs(self, realm: str, *, again: bool = False) -> mapping.Refs:  # by QuickBooksConnector
        raise NotImplementedError

    # --- StateRead ----------------------------------------------------------------------------

    def states(
        self, tenant: str, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, RemoteState]:
        wanted = list(dict.fromkeys(r for r in remote_ids if r))
        rows: list[dict[str, Any]] = []
        for start in range(0, len(wanted), IDS_PER_READ):
            listed = ", ".join(literal(i) for i in wanted[start : start + IDS_PER_READ])
            where = f"Id IN ({listed})" + (f" AND {ACTIVE_OR_NOT}" if _is_name(entity) else "")
            rows += self.api.query(tenant, ENTITIES[entity], where)
        found = {s.remote_id: s for s in self._states_of(tenant, entity, rows, {})}
        return {r: found.get(r) or deleted(entity, r) for r in wanted}

    def _states_of(
        self,
        tenant: str,
        entity: EntityType,
        rows: Iterable[Mapping[str, Any]],
        known: dict[str, Mapping[str, Any]],
    ) -> list[RemoteState]:
        """States of `rows`, reading the Payments they name that `known` does not hold."""
        rows = list(rows)
        missing = list(
            dict.fromkeys(p for row in rows for p in linked_payments(row) if p not in known)
        )
        for start in range(0, len(missing), IDS_PER_READ):
            listed = ", ".join(literal(i) for i in missing[start : start + IDS_PER_READ])
            for payment in self.api.query(tenant, "Payment", f"Id IN ({listed})"):
                known[str(payment.get("Id"))] = payment
        return [state_of(entity, row, known) for row in rows if row.get("Id")]

    # --- ChangeFeed ---------------------------------------------------------------------------

    def changes(
        self, tenant: str, entities: Sequence[EntityType], since: datetime | None
    ) -> Iterator[RemoteState]:
        wanted = list(dict.fromkeys(entities))
        window_start = self.clock.utcnow() - timedelta(days=WINDOW_DAYS) + WINDOW_MARGIN
        names = [ENTITIES[e] for e in wanted]
        if any(e in (EntityType.INVOICE, EntityType.CREDIT_NOTE) for e in wanted):
            names.append("Payment")
        if since is None or since < window_start:
            yield from self._everything(tenant, wanted)
            changed = self._cdc(tenant, names, window_start)
            for entity in wanted:  # only the deletions: the rest was just read in full
                for row in changed.get(ENTITIES[entity], []):
                    if row.get("status") == "Deleted":
                        yield state_of(entity, row, {})
            return
        changed = self._cdc(tenant, names, since)
        known: dict[str, Mapping[str, Any]] = {
            str(p.get("Id")): p for p in changed.get("Payment", []) if p.get("Id")
        }
        seen: dict[EntityType, set[str]] = {}
        for entity in wanted:
            for state in self._states_of(tenant, entity, changed.get(ENTITIES[entity], []), known):
                seen.setdefault(entity, set()).add(state.remote_id)
                yield state
        for txn_type, entity in PAID_TYPES.items():
            if entity not in wanted:
                continue
            paid = {
                str(link.get("TxnId"))
                for payment in known.values()
                for line in payment.get("Line") or []
                for link in line.get("LinkedTxn") or []
                if link.get("TxnType") == txn_type and link.get("TxnId")
            } - seen.get(entity, set())
            yield from self.states(tenant, entity, sorted(paid)).values()

    def _everything(self, tenant: str, entities: Sequence[EntityType]) -> Iterator[RemoteState]:
        for entity in entities:
            where = ACTIVE_OR_NOT if _is_name(entity) else ""
            rows = self.api.query(tenant, ENTITIES[entity], where)
            yield from self._states_of(tenant, entity, rows, {})

    def _cdc(
        self, tenant: str, names: list[str], since: datetime
    ) -> dict[str, list[dict[str, Any]]]:
        """Every object of `names` changed at or after `since`, by entity name."""
        found: dict[str, dict[str, dict[str, Any]]] = {}
        asking = {name: since for name in names}
        while asking:
            more: dict[str, datetime] = {}
            # One call for every type asked from the same time (the first call: all of them).
            by_time: dict[datetime, list[str]] = {}
            for name, when in asking.items():
                by_time.setdefault(when, []).append(name)
            for when, group in by_time.items():
                for name, rows in self._cdc_call(tenant, group, when).items():
                    for row in rows:
                        found.setdefault(name, {})[str(row.get("Id"))] = row
                    if len(rows) >= CDC_CAP:
                        latest = max((updated_at(r) for r in rows), default=None, key=_key)
                        if latest is None or latest <= when:
                            raise ConnectorError(
                                f"QuickBooks' Change Data Capture answered {len(rows)} {name} "
                                f"objects changed at {changed_since(when)}; it lists at most "
                                f"{CDC_CAP}, so the rest cannot be reached this way"
                            )
                        more[name] = latest
            asking = more
        return {name: list(rows.values()) for name, rows in found.items()}

    def _cdc_call(
        self, tenant: str, names: list[str], since: datetime
    ) -> dict[str, list[dict[str, Any]]]:
        body = self.api.get(
            tenant, "cdc", {"entities": ",".join(names), "changedSince": changed_since(since)}
        )
        answers = body.get("CDCResponse") if isinstance(body, dict) else None
        if not isinstance(answers, list):
            raise ConnectorError("QuickBooks' answer to Change Data Capture has no CDCResponse")
        found: dict[str, list[dict[str, Any]]] = {}
        for answer in answers:
            responses = answer.get("QueryResponse") if isinstance(answer, dict) else None
            for response in responses if isinstance(responses, list) else []:
                if not isinstance(response, dict):
                    continue
                for name in names:
                    rows = response.get(name)
                    if isinstance(rows, list):
                        kept = [r for r in rows if isinstance(r, dict) and r.get("Id")]
                        found.setdefault(name, []).extend(kept)
                        for row in kept:
                            if row.get("status") != "Deleted":
                                self.api.remember(tenant, name, row)
        return found

    # --- PaymentPush --------------------------------------------------------------------------

    def push_payment(self, tenant: str, payment: PaymentPayload) -> RemotePayment:
        return payments.push(self, tenant, payment)

    def find_payment(self, tenant: str, payment: PaymentPayload) -> RemotePayment | None:
        return payments.find(self, tenant, payment)


def _key(moment: datetime | None) -> datetime:
    return moment or datetime.min.replace(tzinfo=UTC)


__all__ = ["QuickBooksTwoWay", "changed_since"]
