"""`booksync doctor`: the checklist people read, the JSON scripts read, the exit codes CI reads,
and fixes that work when pasted back into the shell. In-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import update
from sqlalchemy.orm import Session

from booksync.domain.rules import rules_for
from booksync.domain.types import EntityType
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    TAX_RATES,
    TENANTS,
    configure_integration,
)
from booksync.store.db import Store
from booksync.store.models import AccountCode, SyncJob, Tenant, TenantTaxType
from booksync.store.types import utcnow
from cli_support import invoke

AU = "Northwind IT AU"
GST = "GST on Income"
#: What each placeholder of a suggested fix is replaced with before it is run.
FILL = {
    "CODE": "200",
    "TENANT": AU,
    "TAX_TYPE": "OUTPUT",
    "RATE": GST,
    "PRODUCT:QUANTITY": "Backup 1TB:1",
}
STATUSES = {"ok", "blocked", "waiting", "unknown"}


def build(db_url: str, *, connected: bool = True, change: Callable[[Session], Any] | None = None) -> None:  # fmt: skip
    """One connected, imported ledger tenant; INV-1007 (Backup 1TB, taking its item group's tax)
    and INV-1008 (Support Hour, its own tax) for Acme; every record ready and accepted."""
    store = Store(db_url)
    with store.session() as s:
        configure_integration(s, "ledger", {"enabled": True, "entities_to_sync": list(EntityType)})
        TENANTS.create_for(s, "ledger", {"name": AU})
        TENANTS.create_for(s, "ledger", {"name": "Northwind IT NZ"})
        TAX_RATES.create(s, {"name": GST, "percent": "10", "is_default": True})
        for tenant in (AU, "Northwind IT NZ"):
            TAX_RATES.map(s, GST, tenant, "OUTPUT")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ITEM_GROUPS.create(s, {"name": "Backup", "tax_rate": GST, "income_account": "200"})
        CLIENTS.create(s, {"name": "Acme Pty Ltd", "tenant": AU, "remote_id": "c-1"})
        PRODUCTS.create(
            s,
            {
                "name": "Backup 1TB",
                "item_group": "Backup",
                "use_item_group_tax": True,
                "tenant": AU,
                "remote_id": "p-1",
            },
        )
        PRODUCTS.create(
            s,
            {
                "name": "Support Hour",
                "tax_rate": GST,
                "income_account": "200",
                "tenant": AU,
                "remote_id": "p-2",
            },
        )
        invoices = DOCUMENTS[EntityType.INVOICE]
        for number, product in (("INV-1007", "Backup 1TB"), ("INV-1008", "Support Hour")):
            invoices.create(
                s, {"number": number, "party": "Acme Pty Ltd", "lines": [{"product": product}]}
            )
        for tenant in s.query(Tenant):
            if connected:
                tenant.connection_state = "connected"
                tenant.accounts_imported_at = tenant.tax_types_imported_at = utcnow()
                s.add(AccountCode(name="Sales", code="200", kind="income", tenant_id=tenant.id, imported_from_tool=True))  # fmt: skip
                s.add(TenantTaxType(tenant_id=tenant.id, tax_type="OUTPUT"))
                tenant.currencies, tenant.settings_imported_at = ["AUD"], utcnow()
        s.execute(update(SyncJob).values(status="synced"))
    if change is not None:
        with store.session() as s:
            change(s)
    store.dispose()


def no_income_account(s: Session) -> None:
    """Support Hour: no income account, and not yet in the tool."""
    PRODUCTS.update(s, "Support Hour", {"income_account": "", "remote_id": ""})


def doctor(db_url: str, *args: str) -> Result:
    return invoke(db_url, "doctor", *args)


def doctor_json(db_url: str, *args: str) -> tuple[int, Any]:
    result = doctor(db_url, *args, "--json")
    return result.exit_code, json.loads(result.stdout)


# -- one record: JSON --------------------------------------------------------------------------


def test_the_json_answer_has_the_documented_shape(db_url: str) -> None:
    build(db_url, change=no_income_account)
    code, data = doctor_json(db_url, "invoice", "INV-1008")
    assert code == 1
    documented = {"record", "integration", "tenant", "ready", "checks", "blockers"}
    assert documented <= set(data)
    assert {k: data["record"][k] for k in ("type", "ref")} == {"type": "invoice", "ref": "INV-1008"}
    assert (data["integration"], data["tenant"], data["ready"]) == ("ledger", AU, False)

    assert [c["id"] for c in data["checks"]] == [r.id for r in rules_for(EntityType.INVOICE)]
    for check in data["checks"]:
        assert {"id", "ok", "status", "question", "detail", "fix"} <= set(check)
        assert isinstance(check["ok"], bool) and check["status"] in STATUSES
        assert check["ok"] == (check["status"] == "ok")
        assert isinstance(check["question"], str) and check["question"].endswith("?")
        assert isinstance(check["detail"], str) and check["detail"]
        assert check["fix"] is None or check["fix"].startswith("booksync ")
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["account_code.set"] == by_id["account_code.set"] | {
        "ok": False,
        "status": "blocked",
        "detail": "product 'Support Hour' has no income account code",
        "fix": "booksync product edit 'Support Hour' --income-account CODE",
    }
    assert by_id["dependency.product"]["status"] == "blocked"
    assert by_id["integration.enabled"]["ok"] is True

    assert len(data["blockers"]) == 1
    blocker = data["blockers"][0]
    assert {"id", "subject", "detail", "fix"} <= set(blocker)
    assert {k: blocker[k] for k in ("id", "subject", "detail", "fix")} == {
        "id": "account_code.set",
        "subject": {"type": "product", "ref": "Support Hour"},
        "detail": "product 'Support Hour' has no income account code",
        "fix": "booksync product edit 'Support Hour' --income-account CODE",
    }


def test_the_json_gives_each_fix_as_data_beside_its_command_and_page(db_url: str) -> None:
    build(db_url, change=no_income_account)
    _, data = doctor_json(db_url, "invoice", "INV-1008")
    blocker = data["blockers"][0]
    product_id = blocker["remedy"]["subject"]["id"]
    assert blocker["remedy"] == {
        "action": "set_field",
        "subject": {"type": "product", "id": product_id, "ref": "Support Hour"},
        "field": "income_account",
        "value": None,
        "tenant": None,
        "entities": [],
        "advice": None,
    }
    assert blocker["fix_page"] == f"/products/{product_id}#income_account"
    check = next(c for c in data["checks"] if c["id"] == "account_code.set")
    assert (check["fix"], check["remedy"]) == (blocker["fix"], blocker["remedy"])


def test_json_of_a_ready_record_says_ready_and_exits_0(db_url: str) -> None:
    build(db_url)
    code, data = doctor_json(db_url, "invoice", "INV-1007")
    assert (code, data["ready"], data["blockers"]) == (0, True, [])
    assert all(c["ok"] for c in data["checks"])


# -- one record: exit codes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "connected", "ref", "exit_code", "verdict"),
    [
        (None, True, "INV-1007", 0, "READY"),
        (lambda s: CLIENTS.update(s, "Acme Pty Ltd", {"remote_id": ""}), True, "INV-1007", 0, "WAITING"),
        (None, False, "INV-1007", 1, "NOT YET KNOWN"),
        (no_income_account, True, "INV-1008", 1, "BLOCKED"),
    ],
    ids=["ready", "waiting", "not-yet-known", "blocked"],
)  # fmt: skip
def test_exit_code_is_0_when_ready_or_only_waiting_and_1_otherwise(
    db_url: str,
    change: Callable[[Session], Any] | None,
    connected: bool,
    ref: str,
    exit_code: int,
    verdict: str,
) -> None:
    build(db_url, connected=connected, change=change)
    result = doctor(db_url, "invoice", ref)
    assert result.exit_code == exit_code, result.output
    assert result.stdout.splitlines()[0] == f"Invoice {ref} → Ledger '{AU}': {verdict}"
    assert doctor_json(db_url, "invoice", ref)[0] == exit_code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("invoce", "INV-1007"),
            "error: type: 'invoce' is not a record type that syncs; accepted: ",
        ),
        (("invoice", "INV-9999"), "error: invoice: 'INV-9999' is not a known invoice; accepted: "),
        (("invoice",), "error: REF: missing after 'invoice'; accepted: "),
    ],
    ids=["bad-type", "unknown-ref", "missing-ref"],
)
def test_a_bad_type_or_reference_exits_2_with_one_line(
    db_url: str, args: tuple[str, ...], message: str
) -> None:
    build(db_url)
    for extra in ((), ("--json",)):
        result = doctor(db_url, *args, *extra)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith(message), result.stderr


def test_the_type_may_be_written_as_on_the_command_line(db_url: str) -> None:
    build(db_url)
    assert doctor(db_url, "Invoices", "INV-1007").exit_code == 0
    assert doctor(db_url, "product", "Backup 1TB").exit_code == 0


# -- one record: what a person reads -------------------------------------------------------------


def test_the_checklist_shows_marks_reasons_root_cause_fix_and_tax_provenance(db_url: str) -> None:
    def change(s: Session) -> None:
        no_income_account(s)
        DOCUMENTS[EntityType.INVOICE].update(
            s,
            "INV-1008",
            {"lines": [{"product": "Backup 1TB"}, {"product": "Support Hour"}]},
        )
        TAX_RATES.update(s, GST, {"is_default": False})

    build(db_url, change=change)
    result = doctor(db_url, "invoice", "INV-1008")
    assert result.exit_code == 1
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[0] == f"Invoice INV-1008 → Ledger '{AU}': BLOCKED"
    assert "  ✓ Is the integration enabled? the integration is enabled" in lines
    assert "  ✗ Is every line's product syncable and linked?" in lines
    assert "  ✗ Does every line's product (or its item group) have the account code this document needs?" in lines  # fmt: skip
    assert "      product 'Support Hour' has no income account code" in lines
    fix = "      fix: booksync product edit 'Support Hour' --income-account CODE"
    assert any(line.startswith(fix) for line in lines)
    # Each failing check points at its rule's page; passing ones do not.
    assert "      see: booksync explain account_code.set" in lines
    assert "      see: booksync explain integration.enabled" not in lines
    assert "Blocked by:" in lines
    blocked_by = lines.index("Blocked by:")
    assert lines[blocked_by + 1] == (
        "  Invoice INV-1008 is blocked: product 'Support Hour' has no income account code"
    )
    assert lines[blocked_by + 2].startswith(fix)
    tax = lines[lines.index("Tax:") + 1 :]
    assert tax[0] == "  line 1 Backup 1TB: 'GST on Income' (10%), from item group 'Backup' (Use Item Group Tax)"  # fmt: skip
    assert tax[1] == "  line 2 Support Hour: 'GST on Income' (10%), from product 'Support Hour'"
    # The checklist follows the seed's order.
    questions = [r.question for r in rules_for(EntityType.INVOICE)]
    shown = [next(i for i, line in enumerate(lines) if q in line) for q in questions]
    assert shown == sorted(shown)


def test_waiting_and_not_yet_known_rows_are_marked_as_such(db_url: str) -> None:
    build(db_url, change=lambda s: CLIENTS.update(s, "Acme Pty Ltd", {"remote_id": ""}))
    waiting = doctor(db_url, "invoice", "INV-1007").stdout
    assert "  ⏳ waiting Is the document's client syncable and linked (has a remote ID)?" in waiting
    assert "Waiting on: client 'Acme Pty Ltd'" in waiting


def test_not_yet_known_is_shown_with_its_fix(db_url: str) -> None:
    build(db_url, connected=False)
    out = doctor(db_url, "invoice", "INV-1007").stdout
    assert "  ? not yet known Is the tenant connected (token valid, not revoked)?" in out
    assert f"      fix: booksync tenant connect '{AU}'" in out
    assert f"      fix: booksync tenant import '{AU}'" in out


# -- the whole books -----------------------------------------------------------------------------


def two_faults(s: Session) -> None:
    ACCOUNT_CODES.update(s, "200", {"code": ""})
    CLIENTS.update(s, "Acme Pty Ltd", {"remote_id": ""})


def test_the_health_report_counts_records_and_ranks_root_causes_with_their_fixes(
    db_url: str,
) -> None:
    build(db_url, change=two_faults)
    result = doctor(db_url)
    assert result.exit_code == 1
    out = result.stdout
    assert out.startswith(
        "Health of the books: 5 records: 1 ready, 0 waiting, 0 not yet known, 4 blocked"
    )
    table = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert [c.strip() for c in table["invoice"].split("│")[2:7]] == ["0", "0", "0", "2", "2"]
    assert [c.strip() for c in table["client"].split("│")[2:7]] == ["1", "0", "0", "0", "1"]
    lines = out.splitlines()
    first = lines.index("Blocked by (root causes, most records first):") + 1
    assert (
        lines[first]
        == "  1. account code 'Sales' has an empty Code → blocks 2 invoices, 2 products"
    )
    assert lines[first + 1].startswith("     fix: booksync account-code edit 1 --code CODE")
    assert len(lines) == first + 2  # one root cause, nothing not yet known


def test_the_health_report_json_and_exit_code_when_nothing_is_blocked(db_url: str) -> None:
    build(db_url)
    result = doctor(db_url, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["total"], data["ready"], data["blocked"], data["blockers"]) == (5, 5, 0, [])
    assert data["by_type"]["invoice"] == {"ready": 2, "waiting": 0, "unknown": 0, "blocked": 0}
    assert "Nothing is blocked." in doctor(db_url).stdout


def test_the_health_report_json_lists_each_root_cause_with_counts_and_fix(db_url: str) -> None:
    build(db_url, change=two_faults)
    result = doctor(db_url, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["total"], data["blocked"], data["ready"]) == (5, 4, 1)
    [cause] = data["blockers"]
    assert {k: cause[k] for k in ("id", "subject", "field", "records", "by_type")} == {
        "id": "account_code.code_set",
        "subject": {"type": "account_code", "ref": "Sales"},
        "field": "code",
        "records": 4,
        "by_type": {"invoice": 2, "product": 2},
    }
    assert cause["fix"] == "booksync account-code edit 1 --code CODE"
    assert (
        cause["summary"] == "account code 'Sales' has an empty Code → blocks 2 invoices, 2 products"
    )
    assert data["unknowns"] == []


# -- the suggested fixes work when run -------------------------------------------------------------


FIXABLE: list[tuple[str, Callable[[Session], Any]]] = [
    ("empty-code", lambda s: ACCOUNT_CODES.update(s, "200", {"code": ""})),
    ("no-income-account", no_income_account),
    ("client-excluded", lambda s: CLIENTS.update(s, "Acme Pty Ltd", {"exclude_from_accounting": True})),
    ("client-without-tenant", lambda s: CLIENTS.update(s, "Acme Pty Ltd", {"tenant": ""})),
    ("integration-disabled", lambda s: configure_integration(s, "ledger", {"enabled": False})),
    ("invoice-not-ticked", lambda s: configure_integration(s, "ledger", {"entities_to_sync": ["client"]})),
    ("rate-unmapped", lambda s: TAX_RATES.unmap(s, GST, AU)),
    ("product-in-other-tenant", lambda s: PRODUCTS.update(s, "Support Hour", {"tenant": "Northwind IT NZ"})),
    ("group-without-rate", lambda s: (
        TAX_RATES.update(s, GST, {"is_default": False}),
        PRODUCTS.update(s, "Support Hour", {"item_group": "Backup", "use_item_group_tax": True}),
        ITEM_GROUPS.update(s, "Backup", {"tax_rate": ""}),
    )),
]  # fmt: skip


@pytest.mark.parametrize("change", [c for _, c in FIXABLE], ids=[n for n, _ in FIXABLE])
def test_running_each_suggested_fix_makes_the_record_ready(
    db_url: str, change: Callable[[Session], Any]
) -> None:
    build(db_url, change=change)
    code, data = doctor_json(db_url, "invoice", "INV-1008")
    assert code == 1 and data["blockers"], data
    for _ in range(3):  # a fix may uncover the next blocker; each is fixed the way it says
        if not data["blockers"]:
            break
        command = data["blockers"][0]["fix"]
        words = [FILL.get(word, word) for word in shlex.split(command)]
        assert words[0] == "booksync"
        ran = invoke(db_url, *words[1:])
        assert ran.exit_code == 0, f"{command}\n{ran.output}"
        code, data = doctor_json(db_url, "invoice", "INV-1008")
    assert (code, data["ready"]) == (0, True), data["blockers"]
