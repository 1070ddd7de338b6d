"""Notification channels: where each sync pass's digest of failures and disconnections goes.

Secrets (an SMTP password, a webhook's signing key, a Slack/Teams URL) go in and never come out:
a channel shows only their last characters. A signing key booksync makes is returned once, in
the answer that created the channel.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from booksync.api.deps import SessionDep, StoreDep
from booksync.api.errors import in_body, in_place, path_record
from booksync.services import notifications

router = APIRouter(prefix="/notifications", tags=["notifications"])
NameParam = Annotated[str, Path(description="the channel's name")]


class ChannelIn(BaseModel):
    """A new channel; which fields count depends on `kind`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: Literal["email", "webhook", "slack"]
    name: str = Field(max_length=100)
    url: str | None = Field(None, max_length=2000, description="webhook, slack: where to POST")
    signing_key: str | None = Field(
        None, max_length=500, description="webhook: the HMAC key; omitted, booksync makes one"
    )
    host: str | None = Field(None, max_length=255, description="email: the SMTP server")
    port: int | None = Field(None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = Field(None, max_length=255)
    password: str | None = Field(None, max_length=1000)
    sender: str | None = Field(None, alias="from", max_length=320)
    to: list[Annotated[str, Field(max_length=320)]] = Field(default_factory=list, max_length=50)


@router.get("", name="list_notification_channels")
def list_channels(session: SessionDep) -> list[dict[str, Any]]:
    """Every channel, where it sends (secrets only by their last characters) and its last send."""
    return [v.to_json() for v in notifications.list_channels(session)]


@router.post("", name="add_notification_channel", status_code=201)
def add_channel(body: ChannelIn, session: SessionDep) -> dict[str, Any]:
    """Add a channel. For a webhook without `signing_key`, the answer's `signing_key` holds the
    one booksync made: returned this once, never again."""
    made = None
    with in_body():
        if body.kind == "email":
            view = notifications.add_email(
                session,
                body.name,
                host=body.host or "",
                port=body.port,
                security=body.security,
                username=body.username,
                password=body.password,
                sender=body.sender or "",
                to=body.to,
            )
        elif body.kind == "webhook":
            view, made = notifications.add_webhook(
                session, body.name, url=body.url or "", signing_key=body.signing_key
            )
        else:
            view = notifications.add_slack(session, body.name, url=body.url or "")
    answer = view.to_json()
    if made is not None:
        answer["signing_key"] = made
    return answer


@router.delete("/{name}", name="remove_notification_channel")
def remove_channel(name: NameParam, session: SessionDep) -> dict[str, Any]:
    with in_place("path", "name"), path_record("name"):
        return notifications.remove_channel(session, name).to_json()


@router.post("/{name}/test", name="test_notification_channel")
def test_channel(name: NameParam, store: StoreDep) -> dict[str, Any]:
    """Send a test notification now; `ok` and `error` say how it went (the channel keeps it too)."""
    with in_place("path", "name"), path_record("name"):
        return notifications.send_test(store, name).to_json()
