"""Bodies no client should send, answered as bad input: never a 5xx, always a 422 (or another 4xx)
whose JSON is itself valid, naming where the fault is, and nothing written.

Every property of every JSON body the OpenAPI document declares gets each hostile value in turn,
alone and inside an otherwise valid body: NaN and the infinities (Python's JSON reader accepts
them), numbers too large for a float or too long for an int, lone surrogates escaped and as raw
bytes, invalid UTF-8 and NUL. Paths and query strings get the percent-encoded equivalents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api_support import Api
from cli_support import seed, snapshot

#: Raw JSON values, as bytes because some are not UTF-8 at all.
HOSTILE: dict[str, bytes] = {
    "NaN": b"NaN",
    "Infinity": b"Infinity",
    "-Infinity": b"-Infinity",
    "1e99999": b"1e99999",
    "-1e99999": b"-1e99999",
    "400-digit int": b"1" + b"0" * 400,
    "5000-digit int": b"9" * 5000,
    "escaped high surrogate": b'"\\ud800"',
    "escaped low surrogate": b'"\\udfff"',
    "surrogate bytes": b'"\xed\xa0\x80"',
    "invalid UTF-8": b'"\xff\xfe"',
    "overlong UTF-8": b'"\xc0\xaf"',
    "NUL": b'"a\\u0000b"',
    "NaN in a list": b"[NaN]",
    "NaN in an object": b'{"x": NaN}',
}
#: Object keys that no answer can echo as they are.
HOSTILE_KEYS: dict[str, bytes] = {
    "escaped surrogate key": b'"\\ud800"',
    "surrogate bytes key": b'"\xed\xa0\x80"',
    "invalid UTF-8 key": b'"\xff"',
}
#: A valid body per create operation, so a hostile field reaches past "field required".
VALID: dict[str, dict[str, Any]] = {
    "/api/v1/tenants": {"name": "Fuzz T", "integration": "xero"},
    "/api/v1/tax-rates": {"name": "Fuzz Rate", "percent": "5"},
    "/api/v1/account-codes": {"name": "Fuzz", "code": "999", "kind": "income"},
    "/api/v1/item-groups": {"name": "Fuzz Group"},
    "/api/v1/clients": {"name": "Fuzz Client"},
    "/api/v1/suppliers": {"name": "Fuzz Supplier"},
    "/api/v1/products": {"name": "Fuzz Product", "price": "1"},
    "/api/v1/invoices": {
        "number": "F-1",
        "client": "Base Client",
        "lines": [{"product": "Backup 1TB", "quantity": "1"}],
    },
}
#: The record each `{ref}` names in an edit, from `cli_support.seed` and `_documents`.
REFS = {
    "tenants": "Acme AU",
    "tax-rates": "GST Free",
    "account-codes": "200",
    "item-groups": "Backup",
    "clients": "Base Client",
    "suppliers": "Base Supplier",
    "products": "Backup 1TB",
    "invoices": "INV-1",
    "sales-orders": "SO-1",
    "credit-notes": "CN-1",
    "purchase-orders": "PO-1",
    "integrations": "xero",
}
#: Percent-encoded path and query values that decode to nothing storable.
HOSTILE_URL_PARTS = ["%ED%A0%80", "%FF", "%C0%AF", "a%00b", "%F4%90%80%80"]


def _schema(spec: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[1]
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def _path(template: str) -> str:
    """Fill `{ref}`, `{kind}` and `{tenant}` with records that exist."""
    collection = template.split("/")[3]
    return (
        template.replace("{ref}", REFS.get(collection, "x"))
        .replace("{kind}", "xero")
        .replace("{tenant}", "Acme AU")
    )


def body_cases(spec: dict[str, Any]) -> Iterator[tuple[str, str, bytes, str]]:
    """(method, path, raw body, case id) for every body property and hostile value."""
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = _schema(spec, content["application/json"]["schema"])
            path = _path(template)
            valid = VALID.get(template, {}) if method == "post" else {}
            fields = list(schema.get("properties", {}))
            for field in fields:
                for label, raw in HOSTILE.items():
                    for base in ({}, valid) if valid else ({},):
                        rest = {k: v for k, v in base.items() if k != field}
                        yield method, path, _with(rest, field.encode(), raw), f"{field}={label}"
                    if field == "lines":
                        line = b'{"product": "Backup 1TB", "quantity": %s}' % raw
                        yield method, path, b'{"lines": [%s]}' % line, f"lines.quantity={label}"
                        line = b'{"product": %s, "unit_price": %s}' % (raw, raw)
                        yield method, path, b'{"lines": [%s]}' % line, f"lines.product={label}"
            for label, key in HOSTILE_KEYS.items():
                yield method, path, b"{%s: 1}" % key, label


def _with(rest: dict[str, Any], field: bytes, raw: bytes) -> bytes:
    """`rest` as JSON with one more member whose value is raw bytes."""
    head = json.dumps(rest).encode()[:-1]
    joiner = b", " if rest else b""
    return head + joiner + b'"' + field + b'": ' + raw + b"}"


def _books(store_url: str, api: Api) -> None:
    seed(store_url)
    for collection, number, party in [
        ("invoices", "INV-1", "client"),
        ("sales-orders", "SO-1", "client"),
        ("credit-notes", "CN-1", "client"),
        ("purchase-orders", "PO-1", "supplier"),
    ]:
        name = "Base Client" if party == "client" else "Base Supplier"
        api.ok(
            "POST",
            f"/api/v1/{collection}",
            201,
            json={"number": number, party: name, "lines": [{"product": "Backup 1TB"}]},
        )


def _strict_json(response: httpx.Response) -> Any:
    """The answer's JSON, refusing NaN and Infinity as a strict client would."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"answer carries {constant}, which is not JSON")

    return json.loads(response.content.decode("utf-8"), parse_constant=refuse)


@pytest.fixture
def books(api: Api, db_url: str) -> Api:
    _books(db_url, api)
    return api


def test_hostile_bodies_are_refused_with_a_field_path_never_a_5xx(books: Api, db_url: str) -> None:
    cases = list(body_cases(books.app.openapi()))
    assert len(cases) >= 1500
    before = snapshot(db_url)
    server_errors: list[str] = []
    unnamed: list[str] = []
    for method, path, raw, label in cases:
        try:
            response = books.request(
                method.upper(), path, content=raw, headers={"Content-Type": "application/json"}
            )
        except Exception as exc:  # noqa: BLE001 - served, this is a 500
            server_errors.append(f"{method.upper()} {path} {label}: 500 ({type(exc).__name__})")
            continue
        where = f"{method.upper()} {path} {label}: {response.status_code} {response.text[:200]}"
        if not 400 <= response.status_code < 500:
            server_errors.append(where)
            continue
        detail = _strict_json(response)["detail"]
        if not (isinstance(detail, list) and detail and detail[0]["loc"][:1] == ["body"]):
            unnamed.append(where)
    assert not server_errors, f"{len(server_errors)} of {len(cases)} not a 4xx:\n" + "\n".join(
        server_errors[:20]
    )
    assert not unnamed, f"{len(unnamed)} of {len(cases)} name no body field:\n" + "\n".join(
        unnamed[:20]
    )
    assert snapshot(db_url) == before


NAMED: list[tuple[str, bytes, list[str | int]]] = [
    ("/api/v1/clients", b'{"name": NaN}', ["body", "name"]),
    ("/api/v1/tax-rates", b'{"name": "GST 2", "percent": Infinity}', ["body", "percent"]),
    ("/api/v1/tax-rates", b'{"name": "GST 2", "percent": -1e99999}', ["body", "percent"]),
    ("/api/v1/suppliers", b'{"name": "\xed\xa0\x80"}', ["body", "name"]),
    ("/api/v1/products", b'{"name": "P", "tenant": "\\udfff"}', ["body", "tenant"]),
    (
        "/api/v1/invoices",
        b'{"number": "F-2", "client": "Base Client",'
        b' "lines": [{"product": "Backup 1TB", "quantity": 1e99999}]}',
        ["body", "lines", 0, "quantity"],
    ),
]


@pytest.mark.parametrize(("path", "raw", "loc"), NAMED, ids=[str(c[2]) for c in NAMED])
def test_a_hostile_value_is_named_by_its_field_path(
    books: Api, path: str, raw: bytes, loc: list[str | int]
) -> None:
    response = books.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    problem = _strict_json(response)["detail"][0]
    assert problem["loc"] == loc, response.text
    assert isinstance(problem["msg"], str) and problem["msg"]


@pytest.mark.parametrize("part", HOSTILE_URL_PARTS)
def test_hostile_paths_and_queries_never_answer_a_5xx(books: Api, part: str) -> None:
    for method, url in [
        ("GET", f"/api/v1/clients/{part}"),
        ("PATCH", f"/api/v1/clients/{part}"),
        ("DELETE", f"/api/v1/clients/{part}"),
        ("GET", f"/api/v1/doctor/invoice/{part}"),
        ("POST", f"/api/v1/tenants/{part}/connect"),
        ("GET", f"/api/v1/clients?search={part}"),
        ("GET", f"/api/v1/products?tenant={part}"),
        ("GET", f"/api/v1/clients?{part}=1"),
    ]:
        response = books.request(method, url, json={} if method == "PATCH" else None)
        assert response.status_code < 500, (method, url, response.text)
        if "?" not in url:
            assert response.status_code in (404, 422), (method, url, response.text)
        # A query's invalid bytes are read as U+FFFD (storable), so a search may answer 200.
        _strict_json(response)
