"""What Xero's identity service hands out and remembers: connections, access and refresh tokens,
authorization codes, and the token answer a client reads.

Access tokens live 30 minutes; refresh tokens 60 days unused, and a replaced one still answers for
30 minutes; a code 5 minutes. Tokens are HS256 JWTs carrying Xero's claims, but `auth.OAuthServer`
trusts its own table, not the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from booksync_emulators.exchange import Response

ACCESS_TTL = timedelta(minutes=30)
REFRESH_TTL = timedelta(days=60)
REFRESH_GRACE = timedelta(minutes=30)
CODE_TTL = timedelta(minutes=5)
DEFAULT_SCOPE = "openid profile email offline_access accounting.transactions accounting.contacts accounting.settings"


@dataclass
class Connection:
    id: str
    tenant_id: str
    tenant_name: str
    auth_event_id: str
    created: datetime
    updated: datetime
    tenant_type: str = "ORGANISATION"

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "authEventId": self.auth_event_id,
            "tenantId": self.tenant_id,
            "tenantType": self.tenant_type,
            "tenantName": self.tenant_name,
            "createdDateUtc": xero_time(self.created),
            "updatedDateUtc": xero_time(self.updated),
        }


@dataclass
class AccessToken:
    token: str
    user_id: str
    client_id: str
    auth_event_id: str
    scope: str
    expires_at: datetime


@dataclass
class RefreshToken:
    token: str
    user_id: str
    client_id: str
    auth_event_id: str
    scope: str
    expires_at: datetime
    replaced_at: datetime | None = None
    replacement: str | None = None


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    user_id: str
    scope: str
    challenge: str | None
    auth_event_id: str
    expires_at: datetime
    used: bool = False


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_in: int
    auth_event_id: str
    user_id: str
    id_token: str | None = None


def mint_jwt(
    secret: bytes, user_id: str, client_id: str, scope: str, event: str, now: datetime
) -> str:
    """An access (or id) token: Xero's claims, signed with the server's secret."""

    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    issued = int(now.timestamp())
    claims = {
        "nbf": issued, "exp": issued + int(ACCESS_TTL.total_seconds()), "iss": "https://identity.xero.com",
        "aud": "https://identity.xero.com/resources", "client_id": client_id, "sub": user_id,
        "auth_time": issued, "xero_userid": user_id, "global_session_id": event,
        "jti": uuid.uuid4().hex, "authentication_event_id": event, "scope": scope.split(),
    }  # fmt: skip
    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def xero_time(moment: datetime) -> str:
    """Xero's connection timestamps: UTC, seven fractional digits, no offset."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def token_response(tokens: TokenSet, scope: str) -> Response:
    body: dict[str, object] = {
        "access_token": tokens.access_token,
        "expires_in": tokens.expires_in,
        "token_type": "Bearer",
        "scope": scope,
    }
    if tokens.refresh_token:
        body["refresh_token"] = tokens.refresh_token
    if tokens.id_token:
        body["id_token"] = tokens.id_token
    return Response.json(200, json.dumps(body), {"Cache-Control": "no-store"})
