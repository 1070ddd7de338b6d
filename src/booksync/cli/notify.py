"""`booksync notify add|list|remove|test`: where a pass's digest of failures and disconnections
goes (`services.notifications`).

Secrets are never flags (a flag lands in the shell history and the process list): an SMTP
password, a signing key or a Slack URL is typed at a hidden prompt, or read from the first line of
stdin with `--secret-stdin`. A signing key booksync makes is printed once, alone on stdout.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import (
    console,
    err_console,
    fail,
    handles_errors,
    print_json,
    print_table,
    session,
    state,
)
from booksync.services import notifications

notify_app = typer.Typer(
    help="Notifications: a digest per sync pass of failed records and disconnected tenants, by "
    "e-mail, signed webhook or Slack/Teams.",
    no_args_is_help=True,
)
add_app = typer.Typer(help="Add a channel: email, webhook or slack.", no_args_is_help=True)
notify_app.add_typer(add_app, name="add")
app.add_typer(notify_app, name="notify")

NameArg = Annotated[str, typer.Argument(help="The channel's name, e.g. finance-team.")]
SecretStdin = Annotated[
    bool,
    typer.Option(
        "--secret-stdin", help="Read the secret from the first line of stdin instead of prompting."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _secret(what: str, from_stdin: bool, *, required: bool) -> str | None:
    if from_stdin:
        value = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    elif required:
        value = typer.prompt(what, hide_input=True, err=True)
    else:
        value = typer.prompt(f"{what} (empty: none)", hide_input=True, default="", err=True)
    if required and not value:
        raise fail(f"{what.lower()}: empty; accepted: the value, typed or on stdin")
    return value or None


def _added(view: notifications.ChannelView) -> None:
    console.print(
        f"Channel '{view.name}' added ({view.label}, {view.target}); test it with: "
        f"booksync notify test {view.name!r}",
        markup=False,
    )


@add_app.command("email")
@handles_errors
def add_email(
    ctx: typer.Context,
    name: NameArg,
    to: Annotated[str, typer.Option(help="Recipients, comma-separated.")],
    sender: Annotated[str, typer.Option("--from", help="The sender's address.")],
    host: Annotated[str, typer.Option(help="The SMTP server.")],
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Default: 587, 465 or 25 by --security.")
    ] = None,
    security: Annotated[
        str, typer.Option(help="starttls (587), ssl (465) or none (25, a trusted relay).")
    ] = "starttls",
    username: Annotated[
        str | None, typer.Option(help="SMTP user name; the password is then asked, hidden.")
    ] = None,
    secret_stdin: SecretStdin = False,
) -> None:
    """E-mail each digest through an SMTP server."""
    password = _secret("SMTP password", secret_stdin, required=False) if username else None
    with session(ctx) as s:
        view = notifications.add_email(
            s,
            name,
            host=host,
            port=port,
            security=security,
            username=username,
            password=password,
            sender=sender,
            to=to,
        )
    _added(view)


@add_app.command("webhook")
@handles_errors
def add_webhook(
    ctx: typer.Context,
    name: NameArg,
    url: Annotated[str, typer.Option(help="Where each digest is POSTed as JSON.")],
    own_key: Annotated[
        bool,
        typer.Option(
            "--own-key", help="Use a signing key you type (hidden) instead of one booksync makes."
        ),
    ] = False,
    secret_stdin: SecretStdin = False,
) -> None:
    """POST each digest as JSON, signed: X-Booksync-Signature is sha256= and the hex HMAC-SHA256 of
    the body under the signing key (printed once when booksync makes it)."""
    key = _secret("Signing key", secret_stdin, required=True) if own_key or secret_stdin else None
    with session(ctx) as s:
        view, made = notifications.add_webhook(s, name, url=url, signing_key=key)
    if made is None:
        _added(view)
        return
    err_console.print(
        f"Channel '{view.name}' added ({view.target}). Its signing key, shown once: copy it into "
        "the receiver now.",
        markup=False,
    )
    sys.stdout.write(made + "\n")  # alone on stdout, so `KEY=$(booksync notify add webhook ...)`


@add_app.command("slack")
@handles_errors
def add_slack(ctx: typer.Context, name: NameArg, secret_stdin: SecretStdin = False) -> None:
    """Post each digest to a Slack or Microsoft Teams incoming webhook (its URL, a credential, is
    asked hidden)."""
    url = _secret("Incoming webhook URL", secret_stdin, required=True)
    assert url is not None
    with session(ctx) as s:
        view = notifications.add_slack(s, name, url=url)
    _added(view)


@notify_app.command("list")
@handles_errors
def list_channels(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The channels, where each sends (secrets only by their last characters) and its last send."""
    with session(ctx) as s:
        views = notifications.list_channels(s)
    if json_:
        print_json([v.to_json() for v in views])
        return
    if not views:
        console.print("No notification channel: add one with `booksync notify add`.", markup=False)
        return

    def last(v: notifications.ChannelView) -> str:
        if v.ok is None:
            return "never"
        when = (v.last_attempt_at.isoformat() if v.last_attempt_at else "")[:19]
        return f"sent {when}" if v.ok else f"failed {when}: {v.last_error}"

    print_table(
        "Notification channels",
        ["name", "kind", "sends to", "enabled", "last send"],
        [[v.name, v.kind, v.target, "yes" if v.enabled else "no", last(v)] for v in views],
    )


@notify_app.command("remove")
@handles_errors
def remove(ctx: typer.Context, name: NameArg) -> None:
    """Remove a channel (its secrets go with it)."""
    with session(ctx) as s:
        view = notifications.remove_channel(s, name)
    console.print(f"Channel '{view.name}' removed.", markup=False)


@notify_app.command("test")
@handles_errors
def test(ctx: typer.Context, name: NameArg) -> None:
    """Send a test notification down a channel now."""
    sent = notifications.send_test(state(ctx).store, name)
    if not sent.ok:
        raise fail(f"test notification to '{sent.channel}' failed: {sent.error}", code=1)
    console.print(f"Test notification sent to '{sent.channel}'.", markup=False)
