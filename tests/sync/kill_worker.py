"""A worker process for the exactly-once tests: syncs into a RecordingTool file, and can be killed.

usage: kill_worker.py DB_URL TOOL_FILE [--kill-at N --kill-when before|after] [--no-idempotency]
       [--forever [--faults transient,... --retry-after SECONDS]]

`--forever` runs the worker loop as `booksync worker` does, until SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from datetime import timedelta
from typing import Any

from booksync.store.db import Store
from booksync.sync.engine import Engine
from booksync.sync.pacing import Backoff
from booksync_emulators.recording import RecordingTool


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("tool_file")
    parser.add_argument("--kill-at", type=int, default=None)
    parser.add_argument("--kill-when", default="after")
    parser.add_argument("--no-idempotency", action="store_true")
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument(
        "--lease", type=float, default=0.5, help="seconds before a claim is abandoned"
    )
    parser.add_argument("--forever", action="store_true", help="run until SIGTERM")
    parser.add_argument("--faults", default="", help="comma-separated faults for the first calls")
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument(
        "--pace", type=float, default=0.0, help="seconds each push takes (so a kill lands mid-run)"
    )
    args = parser.parse_args()
    store = Store(args.db_url)
    tool = RecordingTool(
        args.tool_file,
        batch_size=args.batch_size,
        idempotency=not args.no_idempotency,
        kill_at_call=args.kill_at,
        kill_when=args.kill_when,
    )
    tool.faults = [f for f in args.faults.split(",") if f]
    tool.retry_after = args.retry_after
    if args.pace:
        push = tool.push

        def slow_push(*call: Any) -> Any:
            time.sleep(args.pace)
            return push(*call)

        tool.push = slow_push  # type: ignore[method-assign]
    engine = Engine(
        store,
        lambda tenant: tool,
        lease=timedelta(seconds=args.lease),
        backoff=Backoff(base=0.05, cap=0.2, max_attempts=50),
    )
    if args.forever:
        stop = threading.Event()

        def request_stop(signum: int, _frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        print("worker started", flush=True)
        engine.run_forever(stop, poll=0.1)
    else:
        engine.run_pass(max_wait=5)
    store.dispose()


if __name__ == "__main__":
    main()
