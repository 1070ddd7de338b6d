"""Configuration > Integrations: a tile per module (the seed's Fig 1), its settings and its tenants.

A tile's logo is coloured only when the module is enabled; a "+" enables it and a cross disables it
(both buttons, shown on hover and on keyboard focus). Each module's page holds "Entities to Sync",
"Show a message for each successful sync", and its tenants with their connection and import.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from booksync.connectors.registry import tools
from booksync.connectors.tool import Tool
from booksync.domain.money import MINOR_UNITS
from booksync.domain.types import EntityType
from booksync.services import web_sign_in
from booksync.services.errors import BadInput, BooksyncError
from booksync.services.input_fields import terms_text
from booksync.services.integration_usage import integration_holdings
from booksync.services.records import TENANTS, configure_integration
from booksync.services.serialize import to_dict
from booksync.services.tenants import ImportSummary, import_from_tool, imported_counts
from booksync.services.tools import connect_advice, connects_to_folder, tool_view
from booksync.store.models import Tenant
from booksync.web._context import STATIC_DIR, flash, local_path, redirect, web_of
from booksync.web._forms import error_id
from booksync.web._pages import back_link
from booksync.web._security import Form, User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

#: Entities to Sync, in the order the seed lists record types.
ENTITIES = [(e.value, e.label.capitalize() + "s") for e in EntityType]


def integration_state(session: Session, kind: str) -> dict[str, Any]:
    """A module as its tile and page show it; one never set up is disabled and syncs nothing."""
    data = tool_view(session, kind)
    tenants: list[dict[str, Any]] = []
    if data["id"] is not None:
        tenants = [
            to_dict(t) for t in TENANTS.list(session, filters={"integration_id": data["id"]})
        ]
    return data | {"tenants": tenants}


def _kind(text: str) -> Tool | None:
    return tools().get(text)


def tenant_context(session: Session, tenant: Tenant) -> dict[str, Any]:
    """A tenant's connection section: its state, what was imported, and which buttons apply."""
    return {
        "tenant": to_dict(tenant),
        "tenant_terms": terms_text(tenant.payment_terms),
        "imported": imported_counts(session, tenant),
        "can_connect": connects_to_folder(tenant),
        "connect_hint": connect_advice(tenant),
    }


def _page(
    request: Request,
    kind: Tool | None,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    tenant_form: dict[str, str] | None = None,
    confirm: dict[str, Any] | None = None,
) -> Response:
    web = web_of(request)
    back_param = local_path(request.query_params.get("back"), "")
    with web.store.session() as session:
        modules = [integration_state(session, k) for k in tools()]
        back = back_link(session, back_param)
    selected = next((m for m in modules if kind is not None and m["kind"] == kind.kind), None)
    return web.page(
        request,
        "integrations.html",
        status_code=status_code,
        title=f"{selected['label']} integration" if selected else "Integrations",
        modules=modules,
        selected=selected,
        entities=ENTITIES,
        errors=errors or {},
        tenant_form=tenant_form or {"name": "", "remote_tenant_id": "", "base_currency": ""},
        currencies=sorted(MINOR_UNITS),
        back=back,
        back_param=back_param,
        confirm=confirm,
    )


@router.get("/assets/logos/{kind}.svg")
def logo(kind: str) -> Response:
    """A tool's logo, shipped inside the tool's own package; other logos (booksync's own) are the
    web admin's static files."""
    tool = tools().get(kind)
    svg = tool.logo_svg() if tool is not None else None
    if svg is None:
        own = STATIC_DIR / "logos" / f"{kind}.svg"
        if tool is not None or "/" in kind or not own.is_file():
            return Response(status_code=404)
        svg = own.read_bytes()
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})


@router.get("/integrations")
def integrations(request: Request, user: User) -> Response:
    return _page(request, None)


@router.get("/integrations/{kind}")
def integration(request: Request, user: User, kind: str) -> Response:
    tool = _kind(kind)
    if tool is None:
        return web_of(request).page(request, "not_found.html", status_code=404, title="Not found")
    return _page(request, tool)


def _configure(
    request: Request, kind: str, settings: dict[str, Any], done: str, form: Any
) -> Response:
    tool = _kind(kind)
    if tool is None:
        return web_of(request).page(request, "not_found.html", status_code=404, title="Not found")
    with web_of(request).store.session() as session:
        configure_integration(session, tool.kind, settings)
    flash(request, "success", done.format(label=tool.label))
    back = local_path(str(form.get("back", "")), "")
    return redirect(
        request, f"/integrations/{tool.kind}" + (f"?back={quote(back, safe='/')}" if back else "")
    )


@router.post("/integrations/{kind}/enable")
def enable(request: Request, user: User, form: Form, kind: str) -> Response:
    return _configure(request, kind, {"enabled": True}, "{label} enabled.", form)


@router.get("/integrations/{kind}/disable")
def confirm_disable(request: Request, user: User, kind: str) -> Response:
    """Disabling stops every record of its tenants from syncing: say how many, then ask."""
    tool = _kind(kind)
    if tool is None:
        return web_of(request).page(request, "not_found.html", status_code=404, title="Not found")
    with web_of(request).store.session() as session:
        held = integration_holdings(session, tool.kind)
    records = [
        f"{n} {e.label}{'' if n == 1 else 's'}"
        for e, n in sorted(held.records.items(), key=lambda kv: list(EntityType).index(kv[0]))
    ]
    jobs = [f"{n} {status.replace('_', ' ')}" for status, n in sorted(held.jobs.items())]
    confirm = {
        "tenants": held.tenants,
        "records": records,
        "record_total": held.record_total,
        "jobs": jobs,
        "job_total": held.job_total,
    }
    return _page(request, tool, confirm=confirm)


@router.post("/integrations/{kind}/disable")
def disable(request: Request, user: User, form: Form, kind: str) -> Response:
    return _configure(request, kind, {"enabled": False}, "{label} disabled.", form)


@router.post("/integrations/{kind}")
def save_settings(request: Request, user: User, form: Form, kind: str) -> Response:
    settings = {
        "entities_to_sync": [v for v in form.getlist("entities_to_sync") if isinstance(v, str)],
        "show_success_messages": "show_success_messages" in form,
    }
    tool = _kind(kind)
    try:
        return _configure(request, kind, settings, "{label} settings saved.", form)
    except BadInput as exc:
        field = "entities_to_sync" if exc.field.startswith("entities_to_sync") else exc.field
        return _page(request, tool, status_code=422, errors={error_id(field): str(exc)})


@router.post("/integrations/{kind}/tenants")
def add_tenant(request: Request, user: User, form: Form, kind: str) -> Response:
    tool = _kind(kind)
    if tool is None:
        return web_of(request).page(request, "not_found.html", status_code=404, title="Not found")
    values = {
        name: str(form.get(name, "")).strip()
        for name in ("name", "remote_tenant_id", "base_currency")
    }
    data = {k: v for k, v in values.items() if v}
    try:
        with web_of(request).store.session() as session:
            tenant = TENANTS.create_for(session, tool.kind, data)
            name = tenant.name
    except BadInput as exc:
        field = {"name": "tenant-name"}.get(exc.field, f"tenant-{exc.field}")
        return _page(request, tool, status_code=422, errors={field: str(exc)}, tenant_form=values)
    flash(request, "success", f"Tenant '{name}' added. Connect it, then import from it.")
    return redirect(request, f"/integrations/{tool.kind}#tenants")


def _imported(summary: ImportSummary) -> str:
    linked = f"; linked {len(summary.linked)} existing record(s)" if summary.linked else ""
    notes = "".join(f" {note[0].upper()}{note[1:]}." for note in summary.notes)
    return (
        f"Imported from '{summary.tenant}': {summary.account_codes} account codes, "
        f"{summary.tax_types} tax types, {summary.contacts} contacts, "
        f"{summary.items} items{linked}.{notes}"
    )


def _connect(request: Request, ref: str) -> None:
    """Connect, then import the chart as `booksync tenant connect` does; an import that fails
    leaves the tenant connected and says how to try again."""
    linked = web_sign_in.connect_and_import(web_of(request).store, ref)
    if linked.summary is not None:
        flash(request, "success", f"Tenant '{linked.name}' connected. {_imported(linked.summary)}")
        return
    flash(request, "success", f"Tenant '{linked.name}' connected.")
    flash(
        request,
        "error",
        f"Importing from '{linked.name}' failed: {linked.problem}. Import again with the button "
        "below once that is fixed.",
    )


def _tenant_action(request: Request, tenant_id: int, back: str, action: str) -> Response:
    ref = f"#{tenant_id}"
    try:
        if action == "connect":
            _connect(request, ref)
        else:
            with web_of(request).store.session() as session:
                summary = import_from_tool(session, ref)
            flash(request, "success", _imported(summary))
    except BooksyncError as exc:
        flash(request, "error", str(exc))
    return redirect(request, back)


def _back(form: Any, tenant_id: int) -> str:
    return local_path(str(form.get("back", "")), f"/tenants/{tenant_id}#connection")


@router.post("/tenants/{tenant_id:int}/connect")
def connect(request: Request, user: User, form: Form, tenant_id: int) -> Response:
    return _tenant_action(request, tenant_id, _back(form, tenant_id), "connect")


@router.post("/tenants/{tenant_id:int}/import")
def import_tenant(request: Request, user: User, form: Form, tenant_id: int) -> Response:
    return _tenant_action(request, tenant_id, _back(form, tenant_id), "import")
