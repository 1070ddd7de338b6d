"""One grant's tokens as booksync keeps them: an access token, the refresh token that renews it, and
when the access token expires on booksync's clock (UTC), never shown in a repr."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from booksync.connectors.protocol import ConnectorError


@dataclass(frozen=True)
class TokenSet:
    """An access token, the refresh token that renews it, and when the access token expires (UTC)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str = ""
    token_type: str = "Bearer"

    @classmethod
    def from_response(cls, body: Mapping[str, Any], now: datetime) -> TokenSet:
        """Read a token endpoint's answer (RFC 6749 §5.1); `expires_in` counts from `now`."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ConnectorError("the token endpoint answered without an access_token")
        expires_in = body.get("expires_in")
        try:
            seconds = float(expires_in) if expires_in is not None else 1800.0
        except (TypeError, ValueError):
            raise ConnectorError(
                f"the token endpoint answered expires_in={expires_in!r}; accepted: seconds"
            ) from None
        refresh = body.get("refresh_token")
        return cls(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=now + timedelta(seconds=seconds),
            scope=str(body.get("scope") or ""),
            token_type=str(body.get("token_type") or "Bearer"),
        )

    def expires_within(self, seconds: float, now: datetime) -> bool:
        return self.expires_at - now <= timedelta(seconds=seconds)

    @property
    def header(self) -> str:
        return f"Bearer {self.access_token}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "scope": self.scope,
            "token_type": self.token_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        expires = datetime.fromisoformat(str(data["expires_at"]))
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token") or None,
            expires_at=expires.astimezone(UTC),
            scope=str(data.get("scope") or ""),
            token_type=str(data.get("token_type") or "Bearer"),
        )
