"""API Gateway's JWT authorizer, locally: the same checks against the user pool's keys.

moto signs Cognito tokens with one RSA key whose public half ships inside moto
(``moto/cognitoidp/resources/jwks-public.json``), so signatures are verified for real.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

__all__ = ["JwtAuthorizer", "Unauthorized", "flatten_claims", "local_jwks_url"]


class Unauthorized(Exception):
    """The token is missing or fails a check; the gateway answers 401 without calling a handler."""


@cache
def _moto_jwks() -> bytes:
    import moto.cognitoidp

    folder = Path(moto.cognitoidp.__file__).parent / "resources"
    gz = folder / "jwks-public.json.gz"
    return gzip.decompress(gz.read_bytes()) if gz.exists() else (folder / "jwks-public.json").read_bytes()


@cache
def _moto_key_set() -> KeySet:
    return KeySet.import_key_set(json.loads(_moto_jwks()))


@cache
def local_jwks_url() -> str:
    """Cognito publishes a pool's keys at an internet address; locally they are moto's, in a
    file (functions that check tokens themselves read ``COGNITO_JWKS_URL``)."""
    path = Path(tempfile.gettempdir()) / f"localcloud-jwks-{os.getpid()}.json"
    path.write_bytes(_moto_jwks())
    return path.as_uri()


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """HTTP API passes claims as strings; arrays become ``[a b c]``."""
    flat: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            flat[key] = "[" + " ".join(str(item) for item in value) + "]"
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        else:
            flat[key] = str(value)
    return flat


class JwtAuthorizer:
    def __init__(self, issuer: str, audience: list[str], identity_source: str = "Authorization") -> None:
        self.issuer = issuer
        self.audience = set(audience)
        self.header = identity_source.rsplit(".", 1)[-1].lower()

    def authorize(self, headers: dict[str, str], now: float | None = None) -> dict[str, Any]:
        """Returns the ``requestContext.authorizer`` block for the event, or raises ``Unauthorized``."""
        value = headers.get(self.header, "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token")
        try:
            decoded = jwt.decode(token.strip(), _moto_key_set(), algorithms=["RS256"])
        except (JoseError, ValueError) as error:
            raise Unauthorized(f"bad token: {error}") from None
        claims = dict(decoded.claims)
        moment = time.time() if now is None else now
        if claims.get("iss") != self.issuer:
            raise Unauthorized("wrong issuer")
        audience = claims.get("aud", claims.get("client_id"))
        audiences = set(audience) if isinstance(audience, list) else {audience}
        if not audiences & self.audience:
            raise Unauthorized("wrong audience")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= moment:
            raise Unauthorized("expired")
        if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > moment:
            raise Unauthorized("not yet valid")
        scopes = str(claims.get("scope", "")).split() or None
        return {"jwt": {"claims": flatten_claims(claims), "scopes": scopes}}
