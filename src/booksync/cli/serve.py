"""`booksync serve` (the REST API and web admin), `booksync apikey ...` and `booksync user ...`.

Secrets are shown once and never again: an API key's secret when it is created, and a password
never (it is typed at a hidden prompt, twice, or read from stdin with `--password-stdin`).
"""

from __future__ import annotations

import logging
import signal
import sys
from typing import Annotated, Any

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
from booksync.cli._logging import Redacting, json_active
from booksync.services import auth
from booksync.store.models import ApiKey, User

apikey_app = typer.Typer(
    help="API keys for the REST API (`Authorization: Bearer KEY`).", no_args_is_help=True
)
user_app = typer.Typer(help="Users who sign in to the web admin.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
app.add_typer(user_app, name="user")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
#: The signals that stop `serve` (Ctrl-C, a service manager).
STOPS = (signal.SIGINT, signal.SIGTERM)


@app.command("serve")
@handles_errors
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 listens on every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Run a sync worker in this process too, so records sync on their own (as "
            "`booksync worker` does). Default: on for a SQLite file (the embedded default), off "
            "for PostgreSQL, where workers run as processes of their own.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /openapi.json) and the web admin."""
    import uvicorn

    from booksync.api import create_app
    from booksync.services.embedded_worker import EmbeddedWorker, default_on

    store = state(ctx).store
    application = create_app(store)
    # With --log-format json, uvicorn's lines go through booksync's JSON handler (no config of
    # its own); either way its access log masks the secrets a query string may carry.
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level="info",
        log_config=None if json_active() else uvicorn.config.LOGGING_CONFIG,
    )
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, Redacting) for f in logger.filters):
            logger.addFilter(Redacting())
    server = uvicorn.Server(config)
    embedded = EmbeddedWorker(store) if (default_on(store) if worker is None else worker) else None
    with_worker = (
        f"; worker {embedded.name} syncing"
        if embedded
        else "; no worker: records sync on Sync now, or start `booksync worker`"
    )
    console.print(
        f"booksync serving on http://{host}:{port} (API docs at /api/docs){with_worker}; "
        "Ctrl-C stops it.",
        markup=False,
    )
    if embedded is not None:
        embedded.start()
    # uvicorn shuts down on SIGINT/SIGTERM, then raises the signal again for the handler it found:
    # this one notes it, so the worker is stopped below and `serve` exits 0 (a clean stop).
    stops: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _f: stops.append(signum)) for sig in STOPS}
    try:
        server.run()
    finally:
        if embedded is not None:
            embedded.stop()  # hands back what it holds and leaves the workers registry
            console.print("booksync worker stopped.")
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- API keys --------------------------------------------------------------------------------------


def key_view(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": f"{auth.KEY_SCHEME}_{key.prefix}",
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@apikey_app.command("create")
@handles_errors
def apikey_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. ci or billing-export.")],
) -> None:
    """Create an API key and print its secret, once: it is stored hashed and cannot be shown again."""
    with session(ctx) as s:
        key, secret = auth.create_api_key(s, name)
        view = key_view(key)
    err_console.print(
        f"API key '{view['name']}' created ({view['prefix']}). Copy it now; it is not shown again:",
        markup=False,
    )
    sys.stdout.write(secret + "\n")  # alone on stdout, so `KEY=$(booksync apikey create ci)` works


@apikey_app.command("list")
@handles_errors
def apikey_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List API keys (their prefixes, never their secrets), revoked ones too."""
    with session(ctx) as s:
        rows = [key_view(k) for k in auth.list_api_keys(s)]
    if json_:
        print_json(rows)
        return
    print_table(
        "API keys",
        ["id", "name", "prefix", "created", "last used", "revoked"],
        [
            [
                r["id"],
                r["name"],
                r["prefix"],
                r["created_at"][:19],
                (r["last_used_at"] or "never")[:19],
                (r["revoked_at"] or "")[:19],
            ]
            for r in rows
        ],
    )


@apikey_app.command("revoke")
@handles_errors
def apikey_revoke(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The key's prefix (bsk_...), its name or its id.")],
) -> None:
    """Revoke an API key: calls carrying it are refused from now on."""
    with session(ctx) as s:
        view = key_view(auth.revoke_api_key(s, ref))
    console.print(f"API key '{view['name']}' ({view['prefix']}) revoked.", markup=False)


# -- users -----------------------------------------------------------------------------------------


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "created_at": user.created_at.isoformat(),
        "last_sign_in_at": user.last_sign_in_at.isoformat() if user.last_sign_in_at else None,
        "disabled_at": user.disabled_at.isoformat() if user.disabled_at else None,
    }


PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of stdin (for scripts) instead of prompting.",
    ),
]
UsernameArg = Annotated[str, typer.Argument(help="The user's sign-in name (case-insensitive).")]


def _password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if not password:
        raise fail(f"password: empty; accepted: at least {auth.MIN_PASSWORD_LENGTH} characters")
    return password


@user_app.command("create")
@handles_errors
def user_create(
    ctx: typer.Context,
    username: UsernameArg,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a web admin user; the password is asked twice, hidden, and stored as an argon2 hash."""
    with session(ctx) as s:
        auth.check_new_username(s, username)  # before asking for a password it would waste
    password = _password(password_stdin)
    with session(ctx) as s:
        user = auth.create_user(s, username, password)
        name = user.username
    console.print(f"User '{name}' created; they can sign in to the web admin.", markup=False)


@user_app.command("list")
@handles_errors
def user_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List web admin users."""
    with session(ctx) as s:
        rows = [user_view(u) for u in auth.list_users(s)]
    if json_:
        print_json(rows)
        return
    print_table(
        "Users",
        ["id", "username", "created", "last sign-in", "disabled"],
        [
            [
                r["id"],
                r["username"],
                r["created_at"][:19],
                (r["last_sign_in_at"] or "never")[:19],
                (r["disabled_at"] or "")[:19],
            ]
            for r in rows
        ],
    )


@user_app.command("disable")
@handles_errors
def user_disable(ctx: typer.Context, username: UsernameArg) -> None:
    """Stop a user signing in, and end every session of theirs now (API keys are not theirs:
    revoke those with `booksync apikey revoke`)."""
    with session(ctx) as s:
        name = auth.disable_user(s, username).username
    console.print(f"User '{name}' disabled; their sessions have ended.", markup=False)


@user_app.command("enable")
@handles_errors
def user_enable(ctx: typer.Context, username: UsernameArg) -> None:
    """Let a disabled user sign in again."""
    with session(ctx) as s:
        name = auth.enable_user(s, username).username
    console.print(f"User '{name}' enabled; they can sign in again.", markup=False)


@user_app.command("password")
@handles_errors
def user_password(
    ctx: typer.Context, username: UsernameArg, password_stdin: PasswordStdin = False
) -> None:
    """Set a user's password (asked twice, hidden); every session of theirs ends."""
    with session(ctx) as s:
        auth.find_user(s, username)  # before asking for a password it would waste
    password = _password(password_stdin)
    with session(ctx) as s:
        name = auth.set_password(s, username, password).username
    console.print(f"Password of '{name}' changed; their sessions have ended.", markup=False)
