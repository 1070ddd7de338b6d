"""The plan over the sample books against the emulated cloud tools, over real HTTP: it sends only
reads (and nothing in the emulator's store changes), the pass that follows does what it said, and
after an edit the diff is read back from the tool. The calls it takes are printed beside the pass's
(`pytest -s` shows them: the figures the issue asks for)."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from booksync.connectors.protocol import Connector
from booksync.secrets import KEY_ENV
from booksync.services.connect import tenant_connector
from booksync.services.plan import plan, plan_record
from booksync.services.plan_model import Action, Plan
from booksync.services.records import CLIENTS
from booksync.store.db import Store
from booksync.store.models import Tenant
from booksync_emulators.exchange import Exchange
from e2e._books import SampleSync
from e2e.test_quickbooks_sample import point_sample_at_quickbooks
from e2e.test_xero_sample import point_sample_at_xero
from emulators.conftest import (  # noqa: F401 - fixtures
    quickbooks_emulator_factory,
    xero_emulator,
    xero_emulator_factory,
)
from services.test_plan_support import store_state

#: What a redirected Redgum gets, so an update has a field to show.
NEW_EMAIL = "ap@redgum.example"
REDGUM = "Redgum Construction Pty Ltd"


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    monkeypatch.setenv("BOOKSYNC_CACHE_DIR", str(tmp_path / "cache"))


def connectors(sample: SampleSync) -> Callable[[Tenant], Connector]:
    return lambda tenant: tenant_connector(tenant, clock=sample.clock, timeout=5.0)


def requests(exchanges: list[Exchange]) -> Counter[str]:
    return Counter(e.request.method for e in exchanges)


def check_plan_then_sync(
    tool: str,
    store: Store,
    sample: SampleSync,
    exchanges: Callable[[], list[Exchange]],
    snapshot: Callable[[], Any],
) -> None:
    emulator_before, store_before, seen = snapshot(), store_state(store), len(exchanges())
    result: Plan = plan(store, connectors=connectors(sample), fresh=True)
    planned = exchanges()[seen:]
    assert requests(planned).keys() <= {"GET"}, f"a plan sent {requests(planned)}"
    assert snapshot() == emulator_before and store_state(store) == store_before
    assert result.calls == len(planned)
    counts = result.counts()
    seen = len(exchanges())
    passed = sample.run()
    synced = exchanges()[seen:]
    assert passed.count("synced") == counts["create"] + counts["update"] + counts["link"]
    assert passed.count("blocked") == counts["hold"]
    with store.session() as s:
        CLIENTS.update(s, REDGUM, {"email": NEW_EMAIL})
    seen = len(exchanges())
    record, tenant = plan_record(store, "client", REDGUM, connectors=connectors(sample))
    one = exchanges()[seen:]
    assert record.action is Action.UPDATE and requests(one).keys() <= {"GET"}
    changed = {r.field: (r.booksync, r.tool) for r in record.diff or [] if r.changed}
    assert list(changed) == ["email"] and changed["email"][0] == NEW_EMAIL
    after = plan(store, connectors=connectors(sample), fresh=True)
    print(
        f"\n{tool}: plan of the sample books {len(planned)} calls {dict(requests(planned))} "
        f"({counts}); the pass that followed {len(synced)} calls {dict(requests(synced))} "
        f"({passed.count('synced')} synced, {passed.count('blocked')} blocked, {passed.calls} "
        f"pushes); one record's plan after an edit {len(one)} call(s); a whole plan after the "
        f"pass {after.calls} calls ({after.counts()})"
    )


def test_xero_a_plan_reads_only_and_the_pass_does_what_it_said(
    sample_store: Store,
    xero_emulator: Any,  # noqa: F811 - the fixture imported above
) -> None:
    store = sample_store
    sample = point_sample_at_xero(store, xero_emulator)
    orgs = xero_emulator.emulator.orgs

    def snapshot() -> Any:
        return {t: copy.deepcopy((o.records, o.numbers, o.created_by)) for t, o in orgs.items()}

    check_plan_then_sync("Xero", store, sample, lambda: xero_emulator.exchanges, snapshot)


def test_quickbooks_a_plan_reads_only_and_the_pass_does_what_it_said(
    sample_store: Store,
    quickbooks_emulator_factory: Any,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = sample_store
    handle = quickbooks_emulator_factory(realms=1, account_numbers=True)
    sample = point_sample_at_quickbooks(store, handle, monkeypatch)
    realm = handle.realm(0)

    def snapshot() -> Any:
        return copy.deepcopy((realm.tables, realm.sequences))

    check_plan_then_sync("QuickBooks", store, sample, lambda: handle.exchanges, snapshot)
