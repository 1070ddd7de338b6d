"""The "Preview next sync" page of a tenant: the plan of the next pass, and linking from it.

Everything comes from the services: `plan.plan` (which writes nothing anywhere) for the page,
`linking.link` for the matching report's Link buttons. Each record's field diff is shown side by
side: what booksync would send beside what the tool holds now.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from booksync.domain.types import EntityType
from booksync.services import plan as plan_service
from booksync.services.errors import BooksyncError, NotFound
from booksync.services.linking import link
from booksync.services.plan_model import ACTIONS
from booksync.web._context import flash, redirect, web_of
from booksync.web._pages import PAGES
from booksync.web._security import Form, User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

#: The badge each action wears (the stylesheet's job-state colours).
BADGES = {
    "create": "pending",
    "update": "pending",
    "link": "connected",
    "hold": "blocked",
    "nothing": "none",
}


def record_link(entity: str, record_id: int) -> str | None:
    slug = EntityType(entity).value.replace("_", "-") + "s"
    return f"/{slug}/{record_id}" if slug in PAGES else None


def _not_found(request: Request, tenant_id: int) -> Response:
    return web_of(request).page(
        request,
        "not_found.html",
        status_code=404,
        title="Not found",
        message=f"There is no tenant #{tenant_id}.",
    )


@router.get("/tenants/{tenant_id:int}/plan")
def preview(request: Request, user: User, tenant_id: int, fresh: bool = False) -> Response:
    """What the next pass would do in this tenant; nothing is written anywhere."""
    web = web_of(request)
    try:
        result = plan_service.plan(web.store, tenant=f"#{tenant_id}", fresh=fresh)
    except NotFound:
        return _not_found(request, tenant_id)
    tenant: dict[str, Any] = result.tenants[0].to_json()
    return web.page(
        request,
        "plan.html",
        title=f"Preview next sync · {tenant['tenant']}",
        plan=tenant,
        tenant_id=tenant_id,
        actions=[a.value for a in ACTIONS],
        badges=BADGES,
        record_link=record_link,
    )


@router.post("/tenants/{tenant_id:int}/link")
def link_from_plan(request: Request, user: User, form: Form, tenant_id: int) -> Response:
    """A matching report's Link button: the record's remote ID set to the tool's object."""
    back = f"/tenants/{tenant_id}/plan#matches"
    try:
        with web_of(request).store.session() as session:
            linked = link(
                session,
                str(form.get("type", "")),
                f"#{form.get('record_id', '')}",
                str(form.get("remote_id", "")),
                check=True,
            )
        flash(
            request,
            "success",
            f"{linked.entity.label.capitalize()} '{linked.ref}' linked to {linked.remote_id}: "
            "the next pass updates it in the tool instead of creating another.",
        )
    except BooksyncError as exc:
        flash(request, "error", str(exc))
    return redirect(request, back)
