"""Who may use booksync: web admin users (argon2) and API keys (SHA-256, shown once), the API's
401s on every route, the CLI that manages both, and `booksync serve` as a real process."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select

from api_support import Api, new_key, problem
from booksync.api import app as app_module
from booksync.api import create_app
from booksync.services import auth
from booksync.services.errors import BadInput, Conflict, NotFound
from booksync.store.db import ENV_VAR, Store
from booksync.store.models import ApiKey, User
from cli_support import invoke, ok, snapshot

BOOKSYNC = str(Path(sys.executable).with_name("booksync"))
PASSWORD = "correct horse battery"
SECRET_FORM = re.compile(r"^bsk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")

# -- users -------------------------------------------------------------------------------------------

#: Cheap argon2 parameters for tests about behaviour; the real ones cost ~64 MiB and 3 passes.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", CHEAP)
    auth._dummy_hash.cache_clear()


def test_passwords_are_hashed_with_argon2id_at_its_recommended_cost(store: Store) -> None:
    real = PasswordHasher()
    assert (real.time_cost, real.memory_cost, real.parallelism) == (3, 65536, 4)
    with store.session() as s:
        stored = auth.create_user(s, "alice", PASSWORD).password_hash
    assert stored.startswith("$argon2id$")
    assert real.verify(stored, PASSWORD)


def test_a_user_signs_in_with_their_password_only(store: Store) -> None:
    with store.session() as s:
        user = auth.create_user(s, "  Alice ", PASSWORD)
        assert user.username == "alice"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    with store.session() as s:
        assert auth.authenticate(s, "ALICE", PASSWORD) is not None
        assert auth.authenticate(s, "alice", PASSWORD + "!") is None
        assert auth.authenticate(s, "bob", PASSWORD) is None
        assert auth.authenticate(s, "alice", "x" * 5000) is None
        assert auth.authenticate(s, "al\x00ice", PASSWORD) is None  # a web form may send anything
    with store.session() as s:
        signed_in = s.scalars(select(User)).one()
        assert signed_in.last_sign_in_at is not None
        assert auth.user_by_id(s, signed_in.id) == signed_in


def test_an_outdated_hash_is_upgraded_at_sign_in(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", weak)
    with store.session() as s:
        old = auth.create_user(s, "alice", PASSWORD).password_hash
    monkeypatch.undo()
    with store.session() as s:
        user = auth.authenticate(s, "alice", PASSWORD)
        assert user is not None and user.password_hash != old
        assert not auth._hasher.check_needs_rehash(user.password_hash)
    with store.session() as s:
        assert auth.authenticate(s, "alice", PASSWORD) is not None


@pytest.mark.parametrize(
    ("username", "password", "error", "words"),
    [
        ("alice", "tiny-pw", BadInput, ["password", "(7 characters, hidden)", "at least 12"]),
        ("alice", "y" * 1025, BadInput, ["password", "at most 1024"]),
        ("bad name", PASSWORD, BadInput, ["username", "'bad name'", "letters, digits"]),
        ("", PASSWORD, BadInput, ["username"]),
        ("Taken", PASSWORD, Conflict, ["username", "'taken'", "already taken"]),
    ],
    ids=["short password", "long password", "space in name", "empty name", "taken"],
)
def test_a_user_that_cannot_be_created_is_refused_without_echoing_the_password(
    store: Store, username: str, password: str, error: type[Exception], words: list[str]
) -> None:
    with store.session() as s:
        auth.create_user(s, "taken", PASSWORD)
    with pytest.raises(error) as raised, store.session() as s:
        auth.create_user(s, username, password)
    message = str(raised.value)
    assert all(w in message for w in words), message
    assert password not in message or password == PASSWORD  # a name error may not hide it
    with store.session() as s:
        assert [u.username for u in auth.list_users(s)] == ["taken"]


# -- API keys ----------------------------------------------------------------------------------------


def test_an_api_key_is_stored_only_as_its_hash(store: Store, db_url: str) -> None:
    with store.session() as s:
        key, secret = auth.create_api_key(s, " ci ")
    assert SECRET_FORM.match(secret), secret
    assert key.name == "ci" and secret.startswith(f"bsk_{key.prefix}_")
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    rows = json.dumps(snapshot(db_url), default=str)
    assert secret not in rows and secret.split("_", 2)[2] not in rows


def test_an_api_key_verifies_until_revoked(store: Store) -> None:
    with store.session() as s:
        key, secret = auth.create_api_key(s, "ci")
        _other, other_secret = auth.create_api_key(s, "backup")
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    swapped = f"bsk_{key.prefix}_{other_secret.split('_', 2)[2]}"
    with store.session() as s:
        found = auth.verify_api_key(s, secret)
        assert found is not None and found.id == key.id and found.last_used_at is not None
        for wrong in [
            tampered,
            swapped,
            "bsk_",
            "bsk__x",
            "nope",
            "",
            "bsk_zz\x00_x",
            secret + "x",
        ]:
            assert auth.verify_api_key(s, wrong) is None, wrong
    with store.session() as s:
        revoked = auth.revoke_api_key(s, f"bsk_{key.prefix}")
        first_revoked_at = revoked.revoked_at
        assert first_revoked_at is not None
    with store.session() as s:
        assert auth.verify_api_key(s, secret) is None
        assert auth.revoke_api_key(s, "ci").revoked_at == first_revoked_at  # by name: still one
        assert auth.verify_api_key(s, other_secret) is not None


def test_revoking_a_key_by_an_unknown_or_ambiguous_name_is_refused(store: Store) -> None:
    with store.session() as s:
        auth.create_api_key(s, "ci")
        auth.create_api_key(s, "ci")
    with pytest.raises(NotFound, match="names 2 keys"), store.session() as s:
        auth.revoke_api_key(s, "ci")
    with pytest.raises(NotFound, match="is not an API key"), store.session() as s:
        auth.revoke_api_key(s, "nightly")
    with pytest.raises(BadInput, match="is not a key name"), store.session() as s:
        auth.create_api_key(s, "  ")
    with store.session() as s:
        assert all(k.revoked_at is None for k in auth.list_api_keys(s))


# -- the API's door -----------------------------------------------------------------------------------


#: The one operation without an API key: the tools' webhooks, authenticated by their signature
#: (tests/services/test_inbound_webhooks.py), and declared so in OpenAPI (`security: []`).
SIGNED_BY_THE_TOOL = {("POST", "/api/v1/webhooks/{kind}")}


def _keyless(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method, op in operations.items()
        if op.get("security") == []
    }


def _calls(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Every /api/v1 operation in the OpenAPI document that needs a key, with each path parameter
    filled in."""
    assert _keyless(spec) == SIGNED_BY_THE_TOOL
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "client", path))
        for path, operations in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
        if (method.upper(), path) not in SIGNED_BY_THE_TOOL
    ]


def test_every_api_route_needs_a_live_key(
    app: FastAPI, portal: BlockingPortal, store: Store, db_url: str
) -> None:
    with store.session() as s:
        _key, revoked = auth.create_api_key(s, "old")
        auth.revoke_api_key(s, "old")
    calls = _calls(app.openapi())
    assert len(calls) >= 60
    before = snapshot(db_url)
    for headers, tried in [
        ({}, calls),
        ({"Authorization": "Bearer bsk_00000000_nope"}, calls[::7]),
        ({"Authorization": f"Basic {revoked}"}, calls[1::7]),
        ({"Authorization": f"Bearer {revoked}"}, calls[2::7]),
        ({"X-API-Key": revoked}, calls[3::7]),
    ]:
        client = Api(app, portal, headers)
        for method, path in tried:
            response = client.request(method, path, json={})
            assert response.status_code == 401, (headers, method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert problem(response)["loc"][0] == "header"
    assert snapshot(db_url) == before


def test_a_key_works_as_bearer_or_x_api_key(
    app: FastAPI, portal: BlockingPortal, store: Store
) -> None:
    secret = new_key(store)
    for headers in [{"Authorization": f"Bearer {secret}"}, {"X-API-Key": secret}]:
        assert Api(app, portal, headers).get("/api/v1/clients").status_code == 200
    with store.session() as s:
        assert s.scalars(select(ApiKey)).one().last_used_at is not None


def test_openapi_is_public_and_declares_the_key_on_every_operation(anonymous: Api) -> None:
    spec = anonymous.ok("GET", "/openapi.json")
    schemes = spec["components"]["securitySchemes"]
    assert schemes["Bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["Bearer"]["description"],
    }
    assert (schemes["ApiKey"]["in"], schemes["ApiKey"]["name"]) == ("header", "X-API-Key")
    assert _keyless(spec) == SIGNED_BY_THE_TOOL
    operations = [
        op
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if (method.upper(), path) not in SIGNED_BY_THE_TOOL
    ]
    assert len(operations) >= 60
    assert all(
        {"Bearer": []} in op["security"] and {"ApiKey": []} in op["security"] for op in operations
    )
    assert all("401" in op["responses"] and "422" in op["responses"] for op in operations)
    assert anonymous.get("/api/docs").status_code == 200


def test_create_app_opens_the_database_the_cli_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env.db"
    monkeypatch.setenv(ENV_VAR, str(path))
    app = create_app()
    assert app.state.store.url == f"sqlite:///{path}"
    assert path.exists()
    app.state.store.dispose()


def test_the_web_admin_is_mounted_when_it_provides_mount(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "fake_web"
    package.mkdir()
    (package / "__init__.py").write_text(
        "def mount(app, store):\n    app.state.web_store = store\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(app_module, "WEB_PACKAGE", "fake_web")
    assert create_app(store).state.web_store is store
    monkeypatch.setattr(app_module, "WEB_PACKAGE", "no_such_web_package")
    assert not hasattr(create_app(store).state, "web_store")


# -- the CLI -----------------------------------------------------------------------------------------


def test_apikey_create_list_revoke(db_url: str, app_for: Any) -> None:
    created = ok(db_url, "apikey", "create", "ci")
    secret = created.stdout.strip()
    assert SECRET_FORM.match(secret) and "not shown again" in created.stderr
    listed = json.loads(ok(db_url, "apikey", "list", "--json").stdout)
    assert [(k["name"], k["revoked_at"]) for k in listed] == [("ci", None)]
    assert listed[0]["prefix"] == secret[:12]
    assert secret not in ok(db_url, "apikey", "list").stdout
    api = app_for(db_url, secret)
    assert api.get("/api/v1/clients").status_code == 200
    assert "revoked" in ok(db_url, "apikey", "revoke", listed[0]["prefix"]).stdout
    assert api.get("/api/v1/clients").status_code == 401
    unknown = invoke(db_url, "apikey", "revoke", "bsk_ffffffff")
    assert unknown.exit_code == 2 and "is not an API key" in unknown.output


@pytest.fixture
def app_for(portal: BlockingPortal) -> Any:
    stores: list[Store] = []

    def make(db_url: str, secret: str) -> Api:
        stores.append(Store(db_url))
        return Api(create_app(stores[-1]), portal, {"X-API-Key": secret})

    yield make
    for opened in stores:
        opened.dispose()


def test_user_create_reads_the_password_from_stdin_or_a_hidden_prompt(db_url: str) -> None:
    from cli_support import runner

    ok_stdin = runner.invoke(
        _app(),
        ["--db", db_url, "user", "create", "Alice", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert ok_stdin.exit_code == 0, ok_stdin.output
    prompted = runner.invoke(
        _app(),
        ["--db", db_url, "user", "create", "bob"],
        input=f"{PASSWORD}\nsomething else!!\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "do not match" in prompted.output and PASSWORD not in prompted.output
    short = runner.invoke(
        _app(), ["--db", db_url, "user", "create", "carol", "--password-stdin"], input="tiny-pw\n"
    )
    assert short.exit_code == 2 and "at least 12" in short.output and "tiny-pw" not in short.output
    taken = invoke(db_url, "user", "create", "ALICE")
    assert taken.exit_code == 2 and "already taken" in taken.output
    users = json.loads(ok(db_url, "user", "list", "--json").stdout)
    assert [u["username"] for u in users] == ["alice", "bob"]
    store = Store(db_url)
    try:
        with store.session() as s:
            assert auth.authenticate(s, "bob", PASSWORD) is not None
    finally:
        store.dispose()


def _app() -> Any:
    from booksync.cli import app

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_serve_answers_http_and_stops_on_sigterm(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'served.db'}"
    secret = ok(db_url, "apikey", "create", "ci").stdout.strip()
    port = _free_port()
    server = subprocess.Popen(
        [BOOKSYNC, "--db", db_url, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"COLUMNS": "200"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                spec = httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
                time.sleep(0.1)
        assert spec.json()["info"]["title"] == "booksync"
        assert httpx.get(f"{base}/api/v1/clients").status_code == 401
        made = httpx.post(
            f"{base}/api/v1/clients",
            json={"name": "Acme"},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert made.status_code == 201, made.text
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=20)
    # uvicorn shuts down cleanly, then re-raises SIGTERM so a supervisor sees why it stopped.
    assert server.returncode in (0, -signal.SIGTERM), out
    assert "Application shutdown complete." in out
    assert secret not in out
    assert json.loads(ok(db_url, "client", "list", "--json").stdout)[0]["name"] == "Acme"
