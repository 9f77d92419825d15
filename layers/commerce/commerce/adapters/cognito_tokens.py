"""Checks a Cognito access token inside a function, for public routes that do more for a
signed-in caller (personalised search, remembering which products a customer looked at).

Routes behind the gateway's JWT authorizer never need this: API Gateway has already checked
the token. Here the same checks are made: RS256 signature against the pool's published keys,
issuer, client, expiry.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import jwt

from commerce.caching import TtlCache
from commerce.errors import DependencyFailure, Unauthorized

__all__ = ["CognitoAccessTokens"]

#: Cognito rotates keys rarely; an unknown key id makes us fetch them again at once.
_KEYS_TTL_SECONDS = 3600


class CognitoAccessTokens:
    def __init__(self, issuer: str, client_id: str, jwks_url: str | None = None) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._jwks_url = jwks_url or f"{issuer}/.well-known/jwks.json"
        self._keys: TtlCache[str, jwt.PyJWKSet] = TtlCache(_KEYS_TTL_SECONDS, max_entries=1)

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims; ``Unauthorized(code="invalid_token")`` for any failed check."""
        try:
            key_id = jwt.get_unverified_header(token).get("kid")
            key = self._signing_key(str(key_id))
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self._issuer,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except (jwt.PyJWTError, KeyError, ValueError):
            raise Unauthorized("The access token is not valid.", code="invalid_token") from None
        audience = claims.get("aud", claims.get("client_id"))
        audiences = set(audience) if isinstance(audience, list) else {audience}
        if self._client_id not in audiences:
            raise Unauthorized("The access token is not valid.", code="invalid_token")
        return claims

    def _signing_key(self, key_id: str) -> jwt.PyJWK:
        keys = self._keys.get_or_load("keys", self._fetch)
        try:
            return keys[key_id]
        except KeyError:
            self._keys.invalidate("keys")
            return self._keys.get_or_load("keys", self._fetch)[key_id]

    def _fetch(self) -> jwt.PyJWKSet:
        # The address comes from configuration, never from a request (a file:// one locally).
        try:
            with urllib.request.urlopen(self._jwks_url, timeout=2) as reply:  # noqa: S310
                return jwt.PyJWKSet.from_dict(json.load(reply))
        except OSError as error:
            raise DependencyFailure(
                "The sign-in service cannot be reached.", code="identity_unavailable"
            ) from error
