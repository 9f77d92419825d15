"""The catalogue through the local cloud: roles, ownership, listings and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from commerce.ids import new_id
from localcloud import LocalCloud
from support import Actor, new_product

Category = Callable[..., dict[str, Any]]


def create(cloud: LocalCloud, seller: Actor, category_id: str, **overrides: Any) -> dict[str, Any]:
    response = cloud.request(
        "POST", "/v1/products", json=new_product(category_id, **overrides), token=seller.token
    )
    assert response.status == 201, response.text
    return dict(response.json())


# ---------------------------------------------------------------------- categories
def test_admins_build_a_category_tree_that_anyone_can_read(cloud: LocalCloud, category: Category) -> None:
    electronics = category("Electronics")
    audio = category("Audio", electronics["category_id"])
    category("Headphones", audio["category_id"])
    category("Books")
    tree = cloud.request("GET", "/v1/categories").json()["items"]
    assert [node["name"] for node in tree] == ["Books", "Electronics"]
    assert tree[1]["children"][0]["name"] == "Audio"
    assert tree[1]["children"][0]["children"][0]["slug"] == "headphones"
    detail = cloud.request("GET", f"/v1/categories/{audio['category_id']}").json()
    assert [c["name"] for c in detail["path"]] == ["Electronics"]
    assert [c["name"] for c in detail["children"]] == ["Headphones"]


def test_only_admins_manage_categories(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    seller = actor("seller")
    response = cloud.request("POST", "/v1/categories", json={"name": "Toys"}, token=seller.token)
    assert response.status == 403
    assert response.json()["code"] == "role_required"
    assert cloud.request("POST", "/v1/categories", json={"name": "Toys"}).status == 401


def test_category_slugs_are_unique(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    category("Garden")
    admin = actor("admin")
    again = cloud.request("POST", "/v1/categories", json={"name": "garden"}, token=admin.token)
    assert again.status == 409
    assert again.json()["code"] == "slug_taken"


def test_a_category_under_an_unknown_parent_is_rejected(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    admin = actor("admin")
    response = cloud.request(
        "POST", "/v1/categories", json={"name": "Orphan", "parent_id": new_id()}, token=admin.token
    )
    assert response.status == 422
    assert response.json()["code"] == "unknown_category"


def test_a_category_in_use_cannot_be_deleted(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    admin, seller = actor("admin"), actor("seller")
    parent = category("Sports")
    child = category("Running", parent["category_id"])
    create(cloud, seller, child["category_id"])
    assert cloud.request("DELETE", f"/v1/categories/{parent['category_id']}", token=admin.token).status == 409
    in_use = cloud.request("DELETE", f"/v1/categories/{child['category_id']}", token=admin.token)
    assert in_use.status == 409
    assert in_use.json()["code"] == "category_not_empty"
    empty = category("Empty")
    assert cloud.request("DELETE", f"/v1/categories/{empty['category_id']}", token=admin.token).status == 204
    assert cloud.request("GET", f"/v1/categories/{empty['category_id']}").status == 404


# ---------------------------------------------------------------------- products
def test_a_seller_lists_a_product_that_anyone_can_read(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    seller = actor("seller")
    audio = category("Audio")
    response = cloud.request(
        "POST", "/v1/products", json=new_product(audio["category_id"]), token=seller.token
    )
    assert response.status == 201
    product = response.json()
    assert response.headers["location"] == f"/v1/products/{product['product_id']}"
    assert product["seller_id"] == seller.user_id
    assert product["price"] == {"amount": 7999, "currency": "USD"}
    assert product["rating"] == {"average": None, "count": 0}
    public = cloud.request("GET", f"/v1/products/{product['product_id']}")
    assert public.status == 200
    assert public.json()["name"] == "Aurora X2 Wireless Earbuds"
    assert public.headers["etag"].startswith('"1-')
    assert public.headers["cache-control"] == "public, max-age=3600"


def test_customers_cannot_list_products(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    customer = actor("customer")
    audio = category("Audio")
    response = cloud.request(
        "POST", "/v1/products", json=new_product(audio["category_id"]), token=customer.token
    )
    assert response.status == 403


def test_only_the_owner_or_an_admin_changes_a_product(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    owner, rival, admin = actor("seller"), actor("seller"), actor("admin")
    product = create(cloud, owner, category("Audio")["category_id"])
    path = f"/v1/products/{product['product_id']}"
    hijack = cloud.request("PATCH", path, json={"price": {"amount": 1, "currency": "USD"}}, token=rival.token)
    assert hijack.status == 403
    assert hijack.json()["code"] == "not_product_owner"
    assert cloud.request("DELETE", path, token=rival.token).status == 403
    assert cloud.request("GET", path).json()["price"]["amount"] == 7999
    by_owner = cloud.request("PATCH", path, json={"name": "Aurora X3"}, token=owner.token)
    assert by_owner.status == 200
    assert by_owner.json()["version"] == 2
    by_admin = cloud.request("PATCH", path, json={"description": "Moderated."}, token=admin.token)
    assert by_admin.status == 200


def test_a_stale_if_match_is_refused(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    seller = actor("seller")
    product = create(cloud, seller, category("Audio")["category_id"])
    path = f"/v1/products/{product['product_id']}"
    first = cloud.request("PATCH", path, json={"name": "A"}, headers={"if-match": '"1"'}, token=seller.token)
    assert first.status == 200
    stale = cloud.request("PATCH", path, json={"name": "B"}, headers={"if-match": '"1"'}, token=seller.token)
    assert stale.status == 412
    assert stale.json()["code"] == "version_conflict"


def test_an_archived_product_disappears_and_cannot_change(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    seller = actor("seller")
    audio = category("Audio")
    product = create(cloud, seller, audio["category_id"])
    path = f"/v1/products/{product['product_id']}"
    assert cloud.request("DELETE", path, token=seller.token).status == 204
    assert cloud.request("DELETE", path, token=seller.token).status == 204, "archiving is idempotent"
    gone = cloud.request("GET", path)
    assert gone.status == 404
    assert gone.json()["code"] == "product_not_found"
    assert cloud.request("GET", f"/v1/products?category={audio['category_id']}").json()["items"] == []
    frozen = cloud.request("PATCH", path, json={"name": "Back"}, token=seller.token)
    assert frozen.status == 409
    assert frozen.json()["code"] == "product_archived"


def test_listing_a_category_includes_its_sub_categories_newest_first(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    seller = actor("seller")
    electronics = category("Electronics")
    phones = category("Phones", electronics["category_id"])
    laptops = category("Laptops", electronics["category_id"])
    books = category("Books")
    made = [
        create(cloud, seller, cat["category_id"], name=f"Item {i}")
        for i, cat in enumerate([phones, laptops, phones, electronics, laptops, books])
    ]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = f"/v1/products?category={electronics['category_id']}&limit=2"
        page = cloud.request("GET", query + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [p["name"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = [p["name"] for p in reversed(made) if p["category_id"] != books["category_id"]]
    assert seen == expected
    assert pages == 3


def test_listing_by_seller_pages_through_every_product_once(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor]
) -> None:
    seller, other = actor("seller"), actor("seller")
    audio = category("Audio")
    mine = {create(cloud, seller, audio["category_id"], name=f"Mine {i}")["product_id"] for i in range(5)}
    create(cloud, other, audio["category_id"], name="Theirs")
    seen: list[str] = []
    cursor = ""
    while cursor is not None:
        page = cloud.request("GET", f"/v1/products?seller={seller.user_id}&limit=2&cursor={cursor}")
        if not cursor:
            page = cloud.request("GET", f"/v1/products?seller={seller.user_id}&limit=2")
        body = page.json()
        seen += [p["product_id"] for p in body["items"]]
        cursor = body["next_cursor"]
    assert sorted(seen) == sorted(mine)
    everything = cloud.request("GET", "/v1/products?limit=100").json()
    assert len(everything["items"]) == 6
    assert everything["next_cursor"] is None


def test_a_forged_cursor_is_a_422(cloud: LocalCloud) -> None:
    response = cloud.request("GET", "/v1/products?cursor=not-a-cursor")
    assert response.status == 422
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": {"amount": 19.99, "currency": "USD"}}, "body.price.amount"),
        ({"price": {"amount": "1999", "currency": "USD"}}, "body.price.amount"),
        ({"price": {"amount": -1, "currency": "USD"}}, "body.price.amount"),
        ({"price": {"amount": 100, "currency": "XYZ"}}, "body.price.currency"),
        ({"name": ""}, "body.name"),
        ({"name": "x" * 201}, "body.name"),
        ({"category_id": "electronics"}, "body.category_id"),
        ({"colour": "red"}, "body.colour"),
        ({"images": [{"thumbnail": "ftp://x"}]}, "body.images.0.thumbnail"),
    ],
)
def test_invalid_product_fields_are_422_naming_the_field(
    cloud: LocalCloud, category: Category, actor: Callable[..., Actor], change: dict[str, Any], field: str
) -> None:
    seller = actor("seller")
    body = {**new_product(category("Audio")["category_id"]), **change}
    response = cloud.request("POST", "/v1/products", json=body, token=seller.token)
    assert response.status == 422
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_product_in_an_unknown_category_is_rejected(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    seller = actor("seller")
    response = cloud.request("POST", "/v1/products", json=new_product(new_id()), token=seller.token)
    assert response.status == 422
    assert response.json()["code"] == "unknown_category"


def test_malformed_bodies_get_clear_4xx_answers(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    seller = actor("seller")
    headers = {"content-type": "application/json"}
    broken = cloud.request("POST", "/v1/products", body='{"name": ', headers=headers, token=seller.token)
    assert broken.status == 400
    assert broken.json()["code"] == "malformed_json"
    not_object = cloud.request("POST", "/v1/products", body="[1, 2]", headers=headers, token=seller.token)
    assert not_object.status == 422
    huge = json.dumps({"name": "x" * 200_000})
    too_big = cloud.request("POST", "/v1/products", body=huge, headers=headers, token=seller.token)
    assert too_big.status == 413
    assert too_big.json()["code"] == "payload_too_large"
    xml = cloud.request(
        "POST", "/v1/products", body="<p/>", headers={"content-type": "application/xml"}, token=seller.token
    )
    assert xml.status == 415


def test_unknown_ids_and_routes_are_404_problems(cloud: LocalCloud) -> None:
    missing = cloud.request("GET", f"/v1/products/{new_id()}")
    assert missing.status == 404
    assert missing.json()["code"] == "product_not_found"
    malformed = cloud.request("GET", "/v1/products/not-an-id")
    assert malformed.status == 422
    route = cloud.request("GET", "/v1/does-not-exist")
    assert route.status == 404
    assert route.headers["content-type"] == "application/problem+json"
    assert route.json()["code"] == "route_not_found"
    limit = cloud.request("GET", "/v1/products?limit=1000")
    assert limit.status == 422
