"""`booksync drift` and `booksync invoice reissue` on SQLite and PostgreSQL: the table of
differences, the JSON, each choice, the never-fight refusal (exit 2), and the reissue twice."""

from __future__ import annotations

import json

from booksync.store.db import Store
from cli_support import invoke
from services.test_drift_reissue import drifted_client, drifted_invoice
from services.test_rules_store import ACME, _paid_in_tool_then_edited, build


def test_drift_lists_and_settles(store: Store, db_url: str) -> None:
    build(store)
    drifted_client(store)
    drifted_invoice(store, status="voided")
    shown = invoke(db_url, "drift")
    assert shown.exit_code == 0, shown.output
    assert f"client '{ACME}'" in shown.output and "Acme Pty Limited" in shown.output
    assert "booksync drift accept|push|leave invoice 'INV-1007'" in shown.output
    listed = json.loads(invoke(db_url, "drift", "--json", "--tenant", "Northwind IT AU").output)
    assert [d["ref"] for d in listed] == [ACME, "INV-1007"]

    refused = invoke(db_url, "drift", "push", "invoice", "INV-1007")
    assert refused.exit_code == 2 and "is voided in the tool" in refused.output
    accepted = invoke(db_url, "drift", "accept", "client", ACME)
    assert accepted.exit_code == 0 and "nothing is pushed back" in accepted.output
    left = invoke(db_url, "drift", "leave", "invoice", "INV-1007", "--json")
    assert json.loads(left.output)["drift_state"] == "left"
    assert "No drift" in invoke(db_url, "drift").output


def test_invoice_reissue(store: Store, db_url: str) -> None:
    build(store)
    with store.session() as s:
        _paid_in_tool_then_edited(s, {})
    first = invoke(db_url, "invoice", "reissue", "INV-1007")
    assert first.exit_code == 0, first.output
    assert "new invoice 'INV-1007-R1'" in first.output
    again = invoke(db_url, "invoice", "reissue", "INV-1007")
    assert again.exit_code == 0 and "was already reissued as 'INV-1007-R1'" in again.output
    missing = invoke(db_url, "invoice", "reissue", "INV-404")
    assert missing.exit_code == 2 and "'INV-404' is not a known invoice" in missing.output
