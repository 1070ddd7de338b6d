"""Connecting an OAuth tool from the web admin: the sign-in runs in the person's browser and the
tool redirects back to a route of the admin's own, not to a port on the server's localhost.

`start` runs the tool's own connect (the one `booksync xero connect` runs) in a thread, handing it
`WebCallbacks` as its callback receiver; the authorize URL it announces goes back to the browser.
`finish` hands the callback the route received to that thread, waits for the organisations the
sign-in authorised, records them as `services.connect` does for the CLI (matched to existing
tenants, credentials sealed) and imports each one's chart, tax types, contacts and items.

Sign-ins under way live in this process's memory, keyed by their OAuth state, for `TIMEOUT`
seconds: the callback must reach the process that started the sign-in (one `booksync serve`, or a
load balancer with sticky sessions).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from booksync.connectors import ConnectorError
from booksync.connectors.callback import Callback
from booksync.connectors.registry import guarded, tool_for
from booksync.connectors.tool import Connected, ConnectionMethod, ConnectRequest
from booksync.errors import BadInput, BooksyncError
from booksync.secrets import SecretBox
from booksync.services.connect import record_connected
from booksync.services.references import find
from booksync.services.tenants import ImportSummary, import_from_tool
from booksync.store.db import Store
from booksync.store.models import Tenant

#: Seconds a person has to sign in before the sign-in is dropped.
TIMEOUT = 600.0
#: Seconds `start` waits for the tool's authorize URL (QuickBooks reads its discovery document).
ANNOUNCE_WAIT = 30.0
#: Seconds `finish` waits for the code exchange and the listing of organisations.
FINISH_WAIT = 60.0


class WebCallbacks:
    """The sign-in's callback receiver when the web admin's route gets the redirect."""

    def __init__(self, redirect_uri: str) -> None:
        self.redirect_uri = redirect_uri
        self._callbacks: queue.Queue[Callback] = queue.Queue(maxsize=1)

    def deliver(self, callback: Callback) -> None:
        self._callbacks.put_nowait(callback)

    def wait(self, timeout: float) -> Callback:
        try:
            return self._callbacks.get(timeout=timeout)
        except queue.Empty:
            raise ConnectorError(
                f"no sign-in came back within {timeout:.0f} s; start it again"
            ) from None

    def __enter__(self) -> WebCallbacks:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@dataclass
class SignIn:
    """One sign-in under way: its tool, the tenant it reconnects (if any), and its thread's end."""

    kind: str
    tenant_id: int | None
    callbacks: WebCallbacks
    started: float = field(default_factory=time.monotonic)
    url: str | None = None
    state: str | None = None
    reached: list[Connected] | None = None
    error: BooksyncError | None = None
    announced: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Linked:
    """A tenant the sign-in linked, and how its import went (`problem`: why it did not)."""

    id: int
    name: str
    remote_id: str
    summary: ImportSummary | None = None
    problem: str | None = None


_lock = threading.Lock()
_under_way: dict[str, SignIn] = {}


def _drop_stale(now: float) -> None:
    for state, sign_in in list(_under_way.items()):
        if now - sign_in.started > TIMEOUT:
            del _under_way[state]


def start(
    store: Store,
    kind: str,
    redirect_uri: str,
    *,
    tenant: str | None = None,
    timeout: float = TIMEOUT,
    **options: Any,
) -> SignIn:
    """Begin signing in to the tool `kind` (to reconnect `tenant`, if given): the returned sign-in
    carries the `url` to send the browser to and the `state` its callback will carry."""
    tool = tool_for(kind)
    if tool.connection is not ConnectionMethod.OAUTH:
        raise BadInput("integration", kind, "connects without a sign-in", "xero or quickbooks")
    tenant_id = None
    if tenant is not None:
        with store.session() as session:
            found = find(session, Tenant, tenant, field="tenant")
            if found.integration.kind != tool.kind:
                raise BadInput("tenant", found.name, f"is not a {tool.label} tenant")
            tenant_id = found.id
    sign_in = SignIn(tool.kind, tenant_id, WebCallbacks(redirect_uri))

    def announce(url: str) -> None:
        sign_in.url = url
        sign_in.announced.set()

    request = ConnectRequest(
        announce=announce, timeout=timeout, options={**options, "callbacks": sign_in.callbacks}
    )

    def run() -> None:
        try:
            sign_in.reached = guarded(tool, lambda: tool.connect(request))
        except (ConnectorError, BooksyncError) as exc:
            sign_in.error = BooksyncError(f"{tool.label} sign-in failed: {exc}")
        finally:
            sign_in.done.set()
            sign_in.announced.set()

    threading.Thread(target=run, name=f"sign-in {tool.kind}", daemon=True).start()
    sign_in.announced.wait(ANNOUNCE_WAIT)
    if sign_in.error is not None:
        raise sign_in.error
    if sign_in.url is None:
        raise BooksyncError(f"{tool.label} sign-in could not start: no sign-in address came")
    sign_in.state = (parse_qs(urlsplit(sign_in.url).query).get("state") or [""])[0]
    with _lock:
        _drop_stale(time.monotonic())
        _under_way[sign_in.state] = sign_in
    return sign_in


def finish(store: Store, kind: str, params: Mapping[str, str]) -> list[Linked]:
    """The tool redirected back with `params` (its query): record the organisations the sign-in
    authorised, then import from each. Nothing is recorded when the sign-in failed."""
    state = params.get("state") or ""
    with _lock:
        sign_in = _under_way.pop(state, None)
    if sign_in is None or sign_in.kind != kind:
        raise BadInput(
            "state",
            "(hidden)",
            "names no sign-in under way here",
            "start the sign-in again from the integration's page (it lasts 10 minutes)",
        )
    error = params.get("error")
    sign_in.callbacks.deliver(
        Callback(
            params.get("code"),
            state,
            (params.get("error_description") or error) if error else None,
            dict(params),
        )
    )
    if not sign_in.done.wait(FINISH_WAIT):
        raise BooksyncError("the sign-in did not finish in time; start it again")
    if sign_in.error is not None:
        raise sign_in.error
    return _link(store, sign_in)


def _link(store: Store, sign_in: SignIn) -> list[Linked]:
    tool = tool_for(sign_in.kind)
    with store.session() as session:
        wanted = session.get(Tenant, sign_in.tenant_id) if sign_in.tenant_id else None
        tenants = record_connected(session, tool, sign_in.reached or [], wanted, SecretBox())
        made = [(t.id, t.name, t.remote_tenant_id) for t in tenants]
    return [import_chart(store, *one) for one in made]


def import_chart(store: Store, tenant_id: int, name: str, remote_id: str) -> Linked:
    """Import from a tenant just connected, as `booksync tenant connect` does; a failure is kept
    with the tenant (it stays connected: `booksync tenant import` tries again)."""
    try:
        with store.session() as session:
            summary = import_from_tool(session, f"#{tenant_id}")
    except BooksyncError as exc:
        return Linked(tenant_id, name, remote_id, problem=str(exc))
    return Linked(tenant_id, name, remote_id, summary)


def connect_and_import(store: Store, ref: str, **options: Any) -> Linked:
    """Connect a tenant whose books need no sign-in (the ledger), then import its chart, as the
    CLI does: what the web's Connect button on a ledger tenant should run."""
    from booksync.services.connect import connect_tenant

    with store.session() as session:
        tenant = connect_tenant(session, ref, **options)
        one = (tenant.id, tenant.name, tenant.remote_tenant_id)
    return import_chart(store, *one)


__all__ = [
    "TIMEOUT",
    "Linked",
    "SignIn",
    "WebCallbacks",
    "connect_and_import",
    "finish",
    "import_chart",
    "start",
]
