"""Races through the real DynamoDB API: optimistic versions and counted limits hold."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from commerce.accounts.model import MAX_ADDRESSES
from localcloud import LocalCloud
from support import Actor, new_product


def test_concurrent_updates_from_the_same_version_let_exactly_one_win(
    cloud: LocalCloud, actor: Callable[..., Actor], category: Callable[..., dict[str, Any]]
) -> None:
    # GIVEN a product at version 1
    seller = actor("seller")
    created = cloud.request(
        "POST", "/v1/products", json=new_product(category("Audio")["category_id"]), token=seller.token
    ).json()
    path = f"/v1/products/{created['product_id']}"

    # WHEN 16 editors each send a change based on version 1 at the same time
    def edit(i: int) -> int:
        return cloud.request(
            "PATCH",
            path,
            json={"price": {"amount": 1000 + i, "currency": "USD"}},
            headers={"if-match": '"1"'},
            token=seller.token,
        ).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(edit, range(16)))

    # THEN exactly one wins, the others learn they were too late, and the stored version is 2
    assert statuses.count(200) == 1
    assert statuses.count(412) == 15
    assert cloud.request("GET", path).json()["version"] == 2


def test_concurrent_address_adds_never_exceed_the_limit(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    me = actor()
    address = {"full_name": "A", "line1": "1 Road", "city": "Town", "postal_code": "1000", "country": "NL"}

    def add(_: int) -> int:
        return cloud.request("POST", "/v1/me/addresses", json=address, token=me.token).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add, range(MAX_ADDRESSES + 10)))

    assert statuses.count(201) == MAX_ADDRESSES
    assert set(statuses) == {201, 409}
    listed = cloud.request("GET", "/v1/me/addresses", token=me.token).json()["items"]
    assert len(listed) == MAX_ADDRESSES
