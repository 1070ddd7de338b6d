"""Issue 15, point 1, end to end in both emulators: the answer to a push is lost after the tool
committed it, and the record is edited while that push is in flight. The next push of the new
version must look it up and update it: every record reaches the tool once, with its newest data.

Each tool's first push of clients, invoices and purchase orders loses its answer (three times over,
outlasting the connector's own retries) while the first record of that batch is edited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select

from booksync.connectors.protocol import Connector, PushItem, PushResult
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS, DOCUMENTS
from booksync.store.db import Store
from booksync.store.models import SyncEvent
from booksync_emulators.faults import FaultKind, FaultSwitches
from e2e.test_quickbooks_sample import (  # noqa: F401 - the fixture
    QuickBooksSample,
    assert_in_quickbooks_once,
    quickbooks_sample,
)
from e2e.test_xero_sample import (  # noqa: F401 - the fixture
    XeroSample,
    assert_reached_xero_once,
    xero_sample,
)

EDITED = (EntityType.CLIENT, EntityType.INVOICE, EntityType.PURCHASE_ORDER)


def edit(store: Store, item: PushItem) -> None:
    """What a person does while the push is in flight: a new version of the record."""
    with store.session() as s:
        if item.entity is EntityType.CLIENT:
            CLIENTS.update(s, item.record_id, {"email": "edited-in-flight@example.com"})
        else:
            DOCUMENTS[item.entity].update(s, item.record_id, {"reference": "edited in flight"})


def losing_with_edits(
    store: Store, faults: FaultSwitches, lose: Callable[[EntityType], None]
) -> tuple[Callable[[Connector], Connector], list[PushItem]]:
    """A connector wrapper: the first push of each `EDITED` type loses its answer (`lose`) while
    its first record is edited; returns the wrapper and the records it edited."""
    edited: list[PushItem] = []

    def wrap(connector: Connector) -> Connector:
        class Losing:
            kind, limits = connector.kind, connector.limits

            def __getattr__(self, name: str) -> Any:
                return getattr(connector, name)

            def push(
                self, tenant: str, entity: EntityType, items: Sequence[PushItem]
            ) -> list[PushResult]:
                if entity in EDITED and all(e.entity is not entity for e in edited):
                    fresh = [i for i in items if i.remote_id is None]
                    if fresh:
                        lose(entity)
                        edit(store, fresh[0])
                        edited.append(fresh[0])
                return connector.push(tenant, entity, items)

        return Losing()  # type: ignore[return-value]

    return wrap, edited


def assert_matched(store: Store, edited: list[PushItem]) -> None:
    with store.session() as s:
        matched = {
            (e, r)
            for e, r in s.execute(
                select(SyncEvent.entity_type, SyncEvent.record_id).where(
                    SyncEvent.kind == "matched"
                )
            )
        }
    for item in edited:
        assert (item.entity.value, item.record_id) in matched, f"{item.reference} was not looked up"


def test_xero_lost_answers_with_edits_in_flight_create_nothing_twice(
    xero_sample: XeroSample,  # noqa: F811 - the imported fixture
) -> None:
    xs = xero_sample
    paths = {
        EntityType.CLIENT: "/Contacts",
        EntityType.INVOICE: "/Invoices",
        EntityType.PURCHASE_ORDER: "/PurchaseOrders",
    }
    faults = xs.xero.faults
    xs.wrap, edited = losing_with_edits(
        xs.store, faults, lambda entity: faults.timeout_after_commit(3, path=paths[entity])
    )
    result = xs.run()
    assert {i.entity for i in edited} == set(EDITED)
    assert sum(f.kind is FaultKind.TIMEOUT_AFTER_COMMIT for f in faults.fired) == 9
    assert result.count("failed") == 0, [n.text for n in result.notices if n.level == "error"]
    assert_reached_xero_once(xs, xs.syncable)
    assert_matched(xs.store, edited)


def test_quickbooks_lost_answers_with_edits_in_flight_fail_nothing_and_create_nothing_twice(
    quickbooks_sample: QuickBooksSample,  # noqa: F811 - the imported fixture
) -> None:
    qs = quickbooks_sample
    faults = qs.qbo.faults
    qs.wrap, edited = losing_with_edits(
        qs.store, faults, lambda entity: faults.timeout_after_commit(3)
    )
    result = qs.run()
    assert {i.entity for i in edited} == set(EDITED)
    assert sum(f.kind is FaultKind.TIMEOUT_AFTER_COMMIT for f in faults.fired) == 9
    assert result.count("failed") == 0, [n.text for n in result.notices if n.level == "error"]
    assert_in_quickbooks_once(qs, qs.syncable)
    assert_matched(qs.store, edited)
