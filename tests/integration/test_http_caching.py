"""Product pages and category listings may be kept by browsers and the CDN, and revalidated
cheaply; the function's own hot-read cache never hides a change made through it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud import LocalCloud
from support import Actor


def test_a_product_page_is_cacheable_for_an_hour_and_revalidates_with_a_304(
    cloud: LocalCloud, listed: Callable[..., dict[str, Any]]
) -> None:
    product = listed()
    path = f"/v1/products/{product['product_id']}"
    first = cloud.request("GET", path)
    assert first.headers["cache-control"] == "public, max-age=3600"
    again = cloud.request("GET", path, headers={"if-none-match": first.headers["etag"]})
    assert again.status == 304
    assert again.text == ""
    assert again.headers["etag"] == first.headers["etag"]
    weak = cloud.request("GET", path, headers={"if-none-match": "W/" + first.headers["etag"]})
    assert weak.status == 304
    other = cloud.request("GET", path, headers={"if-none-match": '"1-0000000000000000"'})
    assert other.status == 200


def test_an_edit_is_seen_at_once_and_changes_the_etag(
    cloud: LocalCloud, actor: Callable[..., Actor], category: Callable[..., dict[str, Any]]
) -> None:
    seller = actor("seller")
    audio = category("Audio")["category_id"]
    created = cloud.request(
        "POST",
        "/v1/products",
        json={"name": "Tempo Speaker", "price": {"amount": 4999, "currency": "USD"}, "category_id": audio},
        token=seller.token,
    ).json()
    path = f"/v1/products/{created['product_id']}"
    before = cloud.request("GET", path)
    assert before.json()["name"] == "Tempo Speaker"
    edited = cloud.request(
        "PATCH",
        path,
        json={"name": "Tempo Speaker II"},
        headers={"if-match": before.headers["etag"]},
        token=seller.token,
    )
    assert edited.status == 200, edited.text
    after = cloud.request("GET", path, headers={"if-none-match": before.headers["etag"]})
    assert after.status == 200
    assert after.json()["name"] == "Tempo Speaker II"
    assert after.headers["etag"].startswith('"2-')


def test_a_change_of_availability_is_never_answered_with_a_304(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    from commerce import bootstrap

    seller = actor("seller")
    product = listed(available=5, seller=seller)
    path = f"/v1/products/{product['product_id']}"
    before = cloud.request("GET", path)
    assert before.json()["availability"] == "in_stock"
    sold_out = cloud.request(
        "PUT", f"/v1/inventory/{product['product_id']}", json={"available": 0}, token=seller.token
    )
    assert sold_out.status == 200
    bootstrap.catalog_service().forget_cached()  # as if the 30-second hot cache had expired
    after = cloud.request("GET", path, headers={"if-none-match": before.headers["etag"]})
    assert after.status == 200
    assert after.json()["availability"] == "out_of_stock"
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json()["version"] == before.json()["version"]


def test_the_category_tree_and_category_listings_are_cacheable_for_half_an_hour(
    cloud: LocalCloud, listed: Callable[..., dict[str, Any]]
) -> None:
    product = listed()
    tree = cloud.request("GET", "/v1/categories")
    assert tree.headers["cache-control"] == "public, max-age=1800"
    assert (
        cloud.request("GET", "/v1/categories", headers={"if-none-match": tree.headers["etag"]}).status == 304
    )
    one = cloud.request("GET", f"/v1/categories/{product['category_id']}")
    assert one.headers["cache-control"] == "public, max-age=1800"
    listing = cloud.request("GET", f"/v1/products?category={product['category_id']}")
    assert listing.headers["cache-control"] == "public, max-age=1800"
    assert (
        cloud.request(
            "GET",
            f"/v1/products?category={product['category_id']}",
            headers={"if-none-match": listing.headers["etag"]},
        ).status
        == 304
    )
    by_seller = cloud.request("GET", f"/v1/products?seller={product['seller_id']}")
    assert by_seller.headers["cache-control"] == "public, max-age=60"


def test_writes_are_not_marked_cacheable(
    cloud: LocalCloud, actor: Callable[..., Actor], category: Callable[..., dict[str, Any]]
) -> None:
    seller = actor("seller")
    created = cloud.request(
        "POST",
        "/v1/products",
        json={
            "name": "Tempo",
            "price": {"amount": 100, "currency": "USD"},
            "category_id": category("A")["category_id"],
        },
        token=seller.token,
    )
    assert created.status == 201
    assert "cache-control" not in created.headers
    assert created.headers["etag"].startswith('"1-')
