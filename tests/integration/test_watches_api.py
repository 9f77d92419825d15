"""Back-in-stock watches over HTTP: customers watch a product (once, however often they ask), see what they
wait for, newest first, and stop watching; unknown and archived products cannot be watched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from localcloud import LocalCloud
from support import Actor

Listed = Callable[..., dict[str, Any]]
UNKNOWN = "01JD3Q8Z6V8Y4WJ1M5T9K2C7RZ"


def header(response: Any, name: str) -> str | None:
    return {k.lower(): v for k, v in response.headers.items()}.get(name.lower())


def watch(cloud: LocalCloud, who: Actor, product_id: str) -> Any:
    return cloud.request("PUT", f"/v1/products/{product_id}/watch", token=who.token)


def watching(cloud: LocalCloud, who: Actor, **query: Any) -> dict[str, Any]:
    response = cloud.request("GET", f"/v1/me/watches?{urlencode(query)}", token=who.token)
    assert response.status == 200, response.text
    return dict(response.json())


def test_watching_twice_makes_one_watch(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    customer = actor("customer")
    product = listed(available=0, name="Aurora X2 Earbuds")
    first = watch(cloud, customer, product["product_id"])
    assert first.status == 201, first.text
    assert header(first, "Location") == f"/v1/products/{product['product_id']}/watch"
    assert header(first, "Cache-Control") == "no-store"
    body = first.json()
    assert body["product_id"] == product["product_id"]
    assert body["name"] == "Aurora X2 Earbuds"
    assert body["active"] is True
    again = watch(cloud, customer, product["product_id"])
    assert again.status == 200, again.text
    assert again.json() == body
    assert [w["product_id"] for w in watching(cloud, customer)["items"]] == [product["product_id"]]


def test_a_customer_sees_only_their_watches_newest_first_page_by_page(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    customer, other = actor("customer"), actor("customer")
    products = [listed(available=0, name=f"Product {i}")["product_id"] for i in range(3)]
    for product_id in products:
        assert watch(cloud, customer, product_id).status == 201
    assert watch(cloud, other, products[0]).status == 201
    first = watching(cloud, customer, limit=2)
    assert [w["product_id"] for w in first["items"]] == products[:0:-1]
    assert first["next_cursor"]
    second = watching(cloud, customer, limit=2, cursor=first["next_cursor"])
    assert [w["product_id"] for w in second["items"]] == products[:1]
    assert second["next_cursor"] is None
    assert [w["product_id"] for w in watching(cloud, other)["items"]] == products[:1]


def test_unwatching_is_idempotent(cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed) -> None:
    customer = actor("customer")
    product_id = listed(available=0)["product_id"]
    watch(cloud, customer, product_id)
    for _ in range(2):
        gone = cloud.request("DELETE", f"/v1/products/{product_id}/watch", token=customer.token)
        assert gone.status == 204, gone.text
    assert watching(cloud, customer)["items"] == []
    never = cloud.request("DELETE", f"/v1/products/{UNKNOWN}/watch", token=customer.token)
    assert never.status == 204, never.text


def test_an_unknown_or_archived_product_cannot_be_watched(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    customer, seller = actor("customer"), actor("seller")
    archived = listed(available=0, seller=seller)["product_id"]
    assert cloud.request("DELETE", f"/v1/products/{archived}", token=seller.token).status == 204
    for product_id in (UNKNOWN, archived):
        response = watch(cloud, customer, product_id)
        assert response.status == 404, response.text
        assert header(response, "Content-Type") == "application/problem+json"
        assert response.json()["code"] == "product_not_found"
    assert watching(cloud, customer)["items"] == []


def test_a_watched_product_archived_later_is_listed_as_inactive(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    customer, seller = actor("customer"), actor("seller")
    product_id = listed(available=0, seller=seller)["product_id"]
    watch(cloud, customer, product_id)
    cloud.request("DELETE", f"/v1/products/{product_id}", token=seller.token)
    [item] = watching(cloud, customer)["items"]
    assert item["active"] is False


def test_bad_input_is_a_4xx_problem_never_a_5xx(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    customer, seller = actor("customer"), actor("seller")
    cases = [
        ("PUT", "/v1/products/not-a-ulid/watch", customer.token, 422, "validation_failed"),
        ("DELETE", "/v1/products/not-a-ulid/watch", customer.token, 422, "validation_failed"),
        ("GET", "/v1/me/watches?limit=0", customer.token, 422, "validation_failed"),
        ("GET", "/v1/me/watches?cursor=garbage!", customer.token, 422, "invalid_cursor"),
        ("GET", "/v1/me/watches?cursor=eyJzayI6IlBST0ZJTEUifQ", customer.token, 422, "invalid_cursor"),
        ("PUT", f"/v1/products/{UNKNOWN}/watch", seller.token, 403, "role_required"),
        ("GET", "/v1/me/watches", None, 401, None),
        ("PUT", f"/v1/products/{UNKNOWN}/watch", None, 401, None),
    ]
    for method, path, token, status, code in cases:
        response = cloud.request(method, path, token=token)
        assert response.status == status, (method, path, response.text)
        if code is not None:
            assert response.json()["code"] == code, (method, path, response.text)
