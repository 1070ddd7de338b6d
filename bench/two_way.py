"""Two-way (issue 13): how fast what a bookkeeper does in the tool shows in booksync, how many calls
a poll with nothing new costs, and whether polling finds every webhook event the tool dropped.

Set-up per backend: the Xero emulator on the wall clock with Xero's real limits (60 calls a minute
per tenant), one organisation connected through the real sign-in flow and imported, invoices pushed
by a `booksync worker` process; `booksync serve` (another process) receives the emulator's signed
webhooks.

(a) Latency, webhook to visible status. N invoices are paid in Xero one at a time (`Org.pay`, the
    bookkeeper in Xero's screens: those calls do not spend booksync's API budget, as Xero's UI does
    not), each after a random pause of up to `--spread` s (so payments neither keep step with the
    worker's rounds nor exceed Xero's 60 reads a minute). Measured from the moment the emulator
    answered (the payment saved, its webhook queued) to the invoice's status "paid" being in
    booksync's store (`remote_states`, read every 10 ms: what the API and CLI show). Baseline,
    same run: webhooks off, the worker restarted to poll every `--interval` seconds, M more
    invoices paid the same way, each after a random pause of up to one interval.
(c) Dropped events: between the two, the emulator drops every event (`drop_all`) while K invoices
    are paid, part-paid, voided or re-referenced; then one `booksync pull` runs. Recovered = changed
    invoices whose status and amount paid in booksync's store equal Xero's afterwards.
(b) Calls for a poll with nothing new: a fresh Xero organisation (then QuickBooks company) with
    `--documents` invoices typed in the tool two hours ago or more (outside the poll's 5-minute
    overlap); the watermark set as a clean pass made just now leaves it (or, `--first-read`, by a
    first `booksync pull`, which reads everything: slow, its calls printed); then one
    `booksync pull`: the calls the emulator counted, against the bound (Xero: one GET per
    collection polled when nothing changed; QuickBooks: one CDC call).

    python -m bench two_way
    python -m bench two_way --payments 10 --polled 3 --documents 2000 --backend postgresql
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cryptography.fernet import Fernet
from sqlalchemy import select

from bench._two_way_setup import WEBHOOK_KEY, Booksync, Tool, connect, start_tool, wait_until
from bench._two_way_tool import fill_tool, pull_bound
from bench.doctor import PG_ADMIN_URL, postgres_reachable, postgres_store, sqlite_store
from booksync.secrets import KEY_ENV
from booksync.services.inbound.polling import STREAM
from booksync.store.db import Store
from booksync.store.models import Document, RemoteState, Tenant, Watermark
from booksync_emulators.xero import Org, XeroEmulator

RESOLUTION = 0.01  # seconds between looks at the store


@dataclass
class Latencies:
    label: str
    seconds: list[float]
    #: Calls booksync made to the tool meanwhile, and how many Xero refused (429, minute limit).
    calls: int = 0
    refused: int = 0

    def line(self) -> str:
        s = self.seconds
        return (
            f"{self.label}: n={len(s)}, median {statistics.median(s):.3f} s, worst {max(s):.3f} s,"
            f" best {min(s):.3f} s; booksync's calls meanwhile {self.calls}, {self.refused} "
            "refused with 429"
        )


def calls_since(tool: Tool, mark: int, found: Latencies) -> Latencies:
    exchanges = list(tool.server.recorder)[mark:]
    found.calls = len(exchanges)
    found.refused = sum(1 for e in exchanges if e.response.status == 429)
    return found


def record_ids(store: Store) -> dict[str, int]:
    with store.session() as s:
        return {n: i for n, i in s.execute(select(Document.number, Document.id))}


def seen(store: Store, record_id: int) -> tuple[str, Decimal | None] | None:
    with store.session() as s:
        row = s.execute(
            select(RemoteState.status, RemoteState.amount_paid).where(
                RemoteState.entity_type == "invoice", RemoteState.record_id == record_id
            )
        ).first()
    return (row[0], row[1]) if row is not None else None


def org_of(tool: Tool) -> Org:
    assert isinstance(tool.emulator, XeroEmulator)
    return next(iter(tool.emulator.orgs.values()))


def invoice_id(org: Org, number: str) -> str:
    found = org.find("Invoices", "InvoiceNumber", number)
    assert found is not None, number
    return str(found["InvoiceID"])


def time_payments(
    store: Store, org: Org, numbers: list[str], spread: float, label: str, timeout: float
) -> Latencies:
    """Pay each invoice after a random pause of up to `spread` seconds (so payments do not keep
    step with the worker's rounds or polls), and time it to "paid" in booksync's store."""
    ids = record_ids(store)
    out = []
    pause = random.Random(13)
    for number in numbers:
        time.sleep(pause.uniform(0, spread))
        org.pay(invoice_id(org, number))
        answered = time.perf_counter()
        deadline = answered + timeout
        while (got := seen(store, ids[number])) is None or got[0] != "paid":
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{label}: {number} not paid in booksync after {timeout} s")
            time.sleep(RESOLUTION)
        out.append(time.perf_counter() - answered)
    return Latencies(label, out)


def drop_and_pull(booksync: Booksync, tool: Tool, numbers: list[str]) -> tuple[int, int, int]:
    """(events dropped, changed invoices, recovered by one `booksync pull`)."""
    org, hooks = org_of(tool), tool.emulator.webhooks
    before = hooks.stats["dropped"]
    hooks.drop_all(True)
    for i, number in enumerate(numbers):
        remote = invoice_id(org, number)
        change = i % 4  # paid, part paid, voided, re-referenced
        if change == 0:
            org.pay(remote)
        elif change == 1:
            org.pay(remote, Decimal("10.00"))
        elif change == 2:
            org.void(remote)
        else:
            org.edit("Invoices", remote, Reference=f"PO {i}")
    hooks.wait_idle(timeout=30)
    dropped = hooks.stats["dropped"] - before
    booksync.cli("pull", "--json")
    hooks.drop_all(False)
    ids, wanted = record_ids(booksync.store), {"AUTHORISED": "open", "PAID": "paid"}
    recovered = 0
    for number in numbers:
        theirs = org.find("Invoices", "InvoiceNumber", number)
        assert theirs is not None
        status = "voided" if theirs["Status"] == "VOIDED" else wanted[theirs["Status"]]
        if status == "open" and theirs["AmountPaid"]:
            status = "part_paid"
        ours = seen(booksync.store, ids[number])
        recovered += ours == (status, Decimal(theirs["AmountPaid"]).quantize(Decimal("0.01")))
    return dropped, len(numbers), recovered


def run_backend(label: str, store: Store, args: argparse.Namespace) -> None:
    print(f"{label}:", flush=True)
    tool = start_tool("xero")
    booksync = Booksync(store)
    total = args.payments + args.polled + args.dropped
    try:
        numbers = connect(store, tool, total)
        tool.emulator.webhooks.configure(
            booksync.webhook_url("xero"), WEBHOOK_KEY, retry_intervals=(1, 5), batch_window=0.05
        )
        booksync.serve()
        booksync.worker(pull_interval=3600)
        wait_until(booksync.all_synced, 300, "the first push", every=0.2)
        tool.emulator.webhooks.wait_idle(timeout=60)
        wait_until(booksync.events_settled, 120, "the echo of the first push", every=0.2)
        org = org_of(tool)
        webhook_numbers = numbers[: args.payments]
        dropped_numbers = numbers[args.payments : args.payments + args.dropped]
        polled_numbers = numbers[args.payments + args.dropped :]
        mark = len(tool.server.recorder)
        hooked = time_payments(store, org, webhook_numbers, args.spread, "webhooks", 60)
        hooked = calls_since(tool, mark, hooked)
        print("  (a) " + hooked.line(), flush=True)
        dropped, changed, recovered = drop_and_pull(booksync, tool, dropped_numbers)
        print(
            f"  (c) dropped by the emulator: {dropped} events on {changed} invoices; found by one"
            f" `booksync pull`: {recovered} of {changed} invoices",
            flush=True,
        )
        booksync.stop("worker")
        tool.emulator.webhooks.drop_all(True)  # webhooks off: polling alone
        booksync.worker(pull_interval=args.interval)
        label = f"polling only, every {args.interval:g} s"
        mark = len(tool.server.recorder)
        polled = time_payments(store, org, polled_numbers, args.interval, label, 120)
        polled = calls_since(tool, mark, polled)
        print("  (a) " + polled.line(), flush=True)
        ratio = statistics.median(polled.seconds) / statistics.median(hooked.seconds)
        worst = max(polled.seconds) / max(hooked.seconds)
        print(f"      polling/webhooks: median {ratio:.1f}x, worst {worst:.1f}x", flush=True)
    finally:
        booksync.stop_all()
        tool.stop()


def take_watermark(store: Store, booksync: Booksync, first_read: bool) -> tuple[int, float]:
    """Where the next pull starts: a first `booksync pull` (it reads everything; returns its calls
    and seconds), or the watermark a clean pass made just now would have left (0, 0.0)."""
    if first_read:
        started = time.perf_counter()
        answer = json.loads(booksync.cli("pull", "--json"))
        return answer["polled"]["calls"], time.perf_counter() - started
    now = datetime.now(UTC)
    with store.session() as s:
        for tenant_id in s.scalars(select(Tenant.id)):
            s.add(
                Watermark(
                    tenant_id=tenant_id,
                    stream=STREAM,
                    position=now,
                    updated_at=now,
                    last_result="bench: as a clean pass made just now leaves it",
                )
            )
    return 0, 0.0


def run_poll_calls(label: str, store: Store, kind: str, args: argparse.Namespace) -> None:
    tool = start_tool(kind)
    booksync = Booksync(store)
    try:
        connect(store, tool, 0)
        made = fill_tool(tool, args.documents, ago=timedelta(hours=2))
        first, first_time = take_watermark(store, booksync, args.first_read)
        calls = tool.emulator.calls
        calls.clear()
        started = time.perf_counter()
        answer = json.loads(booksync.cli("pull", "--json"))
        counted, took = dict(calls), time.perf_counter() - started
        bound, why = pull_bound(kind)
        print(
            f"  (b) {kind} on {label}: {made:,} documents in the tool, nothing changed: one "
            f"`booksync pull` made {sum(counted.values())} calls (bound {bound}: {why}) "
            f"{sorted(counted.items())}; booksync's own count {answer['polled']['calls']}; "
            f"{took:.1f} s",
            flush=True,
        )
        if args.first_read:
            print(f"      the first pull (reads everything): {first} calls, {first_time:.1f} s")
    finally:
        tool.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench two_way",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--payments", type=int, default=15, help="timed with webhooks")
    parser.add_argument("--polled", type=int, default=4, help="timed with polling only")
    parser.add_argument("--interval", type=float, default=5.0, help="polling interval, seconds")
    parser.add_argument(
        "--spread", type=float, default=2.0, help="webhooks: a random 0..SPREAD s before each"
    )
    parser.add_argument("--dropped", type=int, default=16, help="invoices changed while dropping")
    parser.add_argument("--documents", type=int, default=10_000, help="in the tool, for (b)")
    parser.add_argument(
        "--first-read",
        action="store_true",
        help="(b): take the watermark with a first full pull (slow; its calls are printed) "
        "instead of setting it as a clean pass just now would have",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    args = parser.parse_args(argv if argv is not None else [])
    for name in ("payments", "polled", "documents"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}: {getattr(args, name)} is too few; accepted: 1 or more")
    if args.interval <= 0 or args.spread < 0:
        parser.error("--interval must be above 0 and --spread 0 or more")
    os.environ.setdefault(KEY_ENV, Fernet.generate_key().decode())  # tokens are stored encrypted
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs", flush=True)
    backends = [("sqlite", sqlite_store)]
    if args.backend in ("all", "postgresql"):
        problem = postgres_reachable()
        if problem:
            print(f"postgresql: skipped, not reachable at {PG_ADMIN_URL} ({problem})")
        else:
            backends.append(("postgresql", postgres_store))
    if args.backend == "postgresql":
        backends = backends[1:]
    for label, open_store in backends:
        with open_store() as store:
            run_backend(label, store, args)
    for kind in ("xero", "quickbooks"):
        with sqlite_store() as store:
            run_poll_calls("sqlite", store, kind, args)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
