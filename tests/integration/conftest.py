"""One local cloud for the whole integration session; data wiped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from support import Actor, list_product, register


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud() as started:
        yield started


@pytest.fixture(autouse=True)
def _fresh_data(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "cloud" in request.fixturenames:
        request.getfixturevalue("cloud").reset()


@pytest.fixture
def actor(cloud: LocalCloud) -> Callable[..., Actor]:
    def make(role: str = "customer", email: str | None = None) -> Actor:
        return register(cloud, role, email)

    return make


@pytest.fixture
def category(cloud: LocalCloud, actor: Callable[..., Actor]) -> Callable[..., dict[str, Any]]:
    admin = actor("admin")

    def make(name: str, parent_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if parent_id:
            body["parent_id"] = parent_id
        response = cloud.request("POST", "/v1/categories", json=body, token=admin.token)
        assert response.status == 201, response.text
        return dict(response.json())

    return make


@pytest.fixture
def listed(
    cloud: LocalCloud, actor: Callable[..., Actor], category: Callable[..., dict[str, Any]]
) -> Callable[..., dict[str, Any]]:
    """Lists a product (one seller per test unless given) with ``available`` units in stock."""
    category_id = category("Audio")["category_id"]
    default_seller = actor("seller")

    def make(available: int = 10, seller: Actor | None = None, **overrides: Any) -> dict[str, Any]:
        return list_product(cloud, seller or default_seller, category_id, available, **overrides)

    return make
