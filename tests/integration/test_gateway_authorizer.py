"""The local HTTP API verifies tokens exactly as API Gateway's JWT authorizer does:
a bad token gets 401 and never reaches a handler."""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import moto.cognitoidp
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from localcloud import LocalCloud
from support import Actor


def _moto_private_key() -> RSAKey:
    """The key moto signs Cognito tokens with: a forger who had it would pass, as in AWS."""
    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    return RSAKey.import_key(json.loads(gzip.decompress(path.read_bytes())))


def _claims(cloud: LocalCloud, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.{cloud.region}.amazonaws.com/{cloud.ref('UserPool')}",
        "sub": "0b5c4f3e-forged",
        "client_id": cloud.ref("UserPoolClient"),
        "token_use": "access",
        "cognito:groups": ["admin"],
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


def _sign(claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, _moto_private_key())


@pytest.fixture
def handler_calls(cloud: LocalCloud) -> Iterator[Callable[[], int]]:
    function = cloud.functions["AccountsFunction"]
    start = function.invocations
    yield lambda: function.invocations - start


def test_a_valid_token_reaches_the_handler_with_its_claims(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    me = actor("seller")
    response = cloud.request("GET", "/v1/me", token=me.token)
    assert response.status == 200
    assert response.json()["user_id"] == me.user_id


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not bearer",
        "garbage",
        "expired",
        "wrong pool",
        "wrong client",
        "unsigned",
        "tampered",
        "not yet valid",
    ],
)
def test_bad_tokens_get_401_and_never_reach_a_handler(
    cloud: LocalCloud, actor: Callable[..., Actor], handler_calls: Callable[[], int], case: str
) -> None:
    genuine = actor("customer").token
    before = handler_calls()
    header, payload, signature = genuine.split(".")
    tokens: dict[str, str | None] = {
        "missing": None,
        "not bearer": None,
        "garbage": "abc.def.ghi",
        "expired": _sign(_claims(cloud, exp=int(time.time()) - 5)),
        "wrong pool": _sign(
            _claims(cloud, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other")
        ),
        "wrong client": _sign(_claims(cloud, client_id="another-app")),
        "unsigned": (
            base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
            + "."
            + base64.urlsafe_b64encode(json.dumps(_claims(cloud)).encode()).decode().rstrip("=")
            + "."
        ),
        "tampered": header
        + "."
        + base64.urlsafe_b64encode(
            json.dumps(
                {**json.loads(base64.urlsafe_b64decode(payload + "==")), "cognito:groups": ["admin"]}
            ).encode()
        )
        .decode()
        .rstrip("=")
        + "."
        + signature,
        "not yet valid": _sign(_claims(cloud, nbf=int(time.time()) + 300)),
    }
    headers = {"authorization": f"Basic {genuine}"} if case == "not bearer" else None
    response = cloud.request("GET", "/v1/me", token=tokens[case], headers=headers)
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized"}
    assert handler_calls() == before


def test_a_token_signed_with_the_pool_key_is_trusted_for_its_groups(cloud: LocalCloud) -> None:
    # GIVEN a token the pool's key really signed (proves signature checking is not a blanket refusal)
    token = _sign(_claims(cloud))
    # WHEN it is used on an admin-only route
    response = cloud.request("POST", "/v1/categories", json={"name": "Signed"}, token=token)
    # THEN the gateway lets it through and the handler sees the admin group
    assert response.status == 201


def test_public_routes_need_no_token_and_cors_preflight_is_answered(cloud: LocalCloud) -> None:
    assert cloud.request("GET", "/v1/products").status == 200
    preflight = cloud.request(
        "OPTIONS",
        "/v1/products",
        headers={"origin": "https://shop.example", "access-control-request-method": "POST"},
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
