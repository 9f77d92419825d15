"""Helpers shared by the integration and end-to-end tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from localcloud import LocalCloud

PASSWORD = "Sup3r-secret!"
_counter = itertools.count()


@dataclass(frozen=True)
class Actor:
    user_id: str
    email: str
    token: str


def register(cloud: LocalCloud, role: str, email: str | None = None) -> Actor:
    """A signed-in account; admins are registered as customers and promoted, as operators do."""
    email = email or f"{role}{next(_counter)}@example.com"
    account_type = "customer" if role == "admin" else role
    response = cloud.request(
        "POST",
        "/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": role.title(), "account_type": account_type},
    )
    assert response.status == 201, response.text
    user_id = response.json()["user_id"]
    if role == "admin":
        cloud.client("cognito-idp").admin_add_user_to_group(
            UserPoolId=cloud.ref("UserPool"), Username=email, GroupName="admin"
        )
    login = cloud.request("POST", "/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status == 200, login.text
    return Actor(user_id=user_id, email=email, token=login.json()["access_token"])


def new_product(category_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Aurora X2 Wireless Earbuds",
        "description": "Noise-cancelling earbuds with a 30 hour battery.",
        "price": {"amount": 7999, "currency": "USD"},
        "category_id": category_id,
    }
    body.update(overrides)
    return body
