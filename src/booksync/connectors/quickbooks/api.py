"""The QuickBooks Online v3 calls booksync makes, per company (realm): reads, paged queries, the
batch endpoint and the void operation, every write with its `requestid`; and the SyncToken last
seen for each object, which every update must carry.

QuickBooks answers a repeated `requestid` with its first answer instead of applying the write
again, so the id is derived from the record versions and the exact body: a retry after a lost
answer replays, while a changed body (a fresh SyncToken after 5010, say) is a new request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from booksync.connectors.http import Authorizer, HttpClient, RateBudget, dumps, parse_json
from booksync.connectors.protocol import ConnectorError
from booksync.connectors.quickbooks.errors import fault_errors

#: requestid on a batch request: QuickBooks keeps at most 36 characters of it.
MAX_REQUEST_ID = 36
#: Rows per query page (QuickBooks' maximum), and Ids per "Id IN (...)" read.
PAGE = 1000
IDS_PER_READ = 30
#: Name lists answer only active rows unless asked for both.
ACTIVE_OR_NOT = "Active IN (true, false)"


def request_id(keys: Iterable[str], body: Any) -> str:
    """One requestid per write: the same record versions with the same body replay; a changed body
    is a new request."""
    digest = hashlib.sha256()
    for key in keys:
        digest.update(key.encode() + b"\0")
    digest.update(dumps(body).encode())
    return ("bs" + digest.hexdigest())[:MAX_REQUEST_ID]


def literal(value: str) -> str:
    """A string literal for QuickBooks' query language (a quote is escaped with a backslash)."""
    return "'" + value.replace("'", "\\'") + "'"


class CompanyApi:
    """The calls, for any realm the `auth` reaches. `batches` paces the batch endpoint on top of
    the HTTP client's own per-realm budget."""

    def __init__(
        self,
        http: HttpClient,
        auth: Authorizer,
        base_url: str,
        minor_version: str,
        batches: RateBudget,
    ) -> None:
        self.http = http
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        self.minor_version = minor_version
        self.batches = batches
        self._sync_tokens: dict[tuple[str, str, str], str] = {}

    def url(self, realm: str, path: str) -> str:
        return f"{self.base_url}/company/{quote(realm, safe='')}/{path}"

    def _params(self, **extra: str) -> dict[str, str]:
        return {**extra, "minorversion": self.minor_version}

    # --- reads ----------------------------------------------------------------------------------

    def get(self, realm: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        response = self.http.request(
            "GET",
            self.url(realm, path),
            params=self._params(**(params or {})),
            auth=self.auth,
            tenant=realm,
        )
        body = json_of(response)
        errors = fault_errors(body.get("Fault")) if isinstance(body, dict) else []
        if response.status_code != 200 or errors:
            reason = "; ".join(str(e) for e in errors) or f"status {response.status_code}"
            raise ConnectorError(f"QuickBooks refused GET {path}: {reason}")
        return body

    def query(
        self,
        realm: str,
        entity: str,
        where: str = "",
        *,
        order: str = "",
        pages: int | None = None,
    ) -> list[dict[str, Any]]:
        """Every row of `entity` matching `where` (in `order`), a page of 1,000 at a time, or only
        the first `pages` pages; the SyncTokens seen are remembered."""
        rows: list[dict[str, Any]] = []
        start = 1
        while True:
            statement = f"SELECT * FROM {entity}"
            if where:
                statement += f" WHERE {where}"
            if order:
                statement += f" ORDERBY {order}"
            statement += f" STARTPOSITION {start} MAXRESULTS {PAGE}"
            body = self.get(realm, "query", {"query": statement})
            answer = body.get("QueryResponse") if isinstance(body, dict) else None
            if not isinstance(answer, dict):
                raise ConnectorError(f"QuickBooks' answer to a {entity} query has no QueryResponse")
            chunk = answer.get(entity) or []
            if not isinstance(chunk, list):
                raise ConnectorError(f"QuickBooks' answer to a {entity} query has no {entity} list")
            for row in chunk:
                if isinstance(row, dict):
                    rows.append(row)
                    self.remember(realm, entity, row)
            if len(chunk) < PAGE or (pages is not None and start // PAGE + 1 >= pages):
                return rows
            start += PAGE

    # --- SyncTokens -----------------------------------------------------------------------------

    def remember(self, realm: str, entity: str, row: Any) -> None:
        if isinstance(row, dict) and row.get("Id") is not None and row.get("SyncToken") is not None:
            self._sync_tokens[(realm, entity, str(row["Id"]))] = str(row["SyncToken"])

    def forget(self, realm: str, entity: str, object_id: str) -> None:
        self._sync_tokens.pop((realm, entity, object_id), None)

    def sync_tokens(self, realm: str, entity: str, ids: Iterable[str]) -> dict[str, str]:
        """The SyncToken of each object: known ones from memory, the others read in one query per
        30 (an object missing from the answer was deleted or made inactive)."""
        wanted = list(dict.fromkeys(ids))
        missing = [i for i in wanted if (realm, entity, i) not in self._sync_tokens]
        for start in range(0, len(missing), IDS_PER_READ):
            listed = ", ".join(literal(i) for i in missing[start : start + IDS_PER_READ])
            self.query(realm, entity, f"Id IN ({listed})")
        known = {i: self._sync_tokens.get((realm, entity, i)) for i in wanted}
        return {i: token for i, token in known.items() if token is not None}

    # --- writes ---------------------------------------------------------------------------------

    def batch(
        self, realm: str, keys: list[str], requests: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """POST /batch; the answers by bId. A Fault on the whole request (nothing in it applied) is
        booksync's mistake rather than a record's, so it is raised as ConnectorError naming it."""
        body = {"BatchItemRequest": requests}
        with self.batches.slot(realm):
            response = self.http.request(
                "POST",
                self.url(realm, "batch"),
                params=self._params(requestid=request_id(keys, body)),
                json_body=body,
                auth=self.auth,
                tenant=realm,
                idempotent=True,
            )
        answer = json_of(response)
        rows = answer.get("BatchItemResponse") if isinstance(answer, dict) else None
        if response.status_code != 200 or not isinstance(rows, list):
            errors = fault_errors(answer.get("Fault")) if isinstance(answer, dict) else []
            reason = "; ".join(str(e) for e in errors) or f"status {response.status_code}"
            raise ConnectorError(f"QuickBooks refused the batch request: {reason}")
        return {str(r.get("bId")): r for r in rows if isinstance(r, dict)}

    def operation(
        self, realm: str, entity: str, operation: str | None, body: dict[str, Any], key: str
    ) -> tuple[int, Any]:
        """POST /{entity}[?operation=...] alone, outside a batch (void has no batch form; a
        create without `operation`); the status and the answer."""
        params = {"requestid": request_id([key], body)}
        if operation:
            params["operation"] = operation
        response = self.http.request(
            "POST",
            self.url(realm, entity.lower()),
            params=self._params(**params),
            json_body=body,
            auth=self.auth,
            tenant=realm,
            idempotent=True,
        )
        return response.status_code, json_of(response)


def json_of(response: httpx.Response) -> Any:
    try:
        return parse_json(response.content)
    except ValueError:
        raise ConnectorError(
            f"QuickBooks answered {response.status_code} with something other than JSON"
        ) from None
