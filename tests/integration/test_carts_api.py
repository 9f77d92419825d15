"""Carts through the local cloud: lines, stock and price warnings, expiry, guests, merging, races."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from commerce.ids import new_id
from localcloud import LocalCloud
from support import Actor, new_product

Category = Callable[..., dict[str, Any]]


def stock(cloud: LocalCloud, product_id: str, available: int = 10) -> None:
    """Give a product sellable units, straight into the inventory table (its item format)."""
    cloud.client("dynamodb").put_item(
        TableName=cloud.ref("InventoryTable"),
        Item={
            "pk": {"S": f"PRODUCT#{product_id}"},
            "sk": {"S": "WAREHOUSE#main"},
            "product_id": {"S": product_id},
            "warehouse_id": {"S": "main"},
            "available": {"N": str(available)},
            "reserved": {"N": "0"},
            "sold": {"N": "0"},
            "priority": {"N": "100"},
        },
    )


@pytest.fixture
def shop(cloud: LocalCloud, actor: Callable[..., Actor], category: Category) -> Callable[..., dict[str, Any]]:
    """Lists products (by one seller, in stock unless told otherwise)."""
    seller = actor("seller")
    category_id = category("Audio")["category_id"]

    def listed(available: int = 10, **overrides: Any) -> dict[str, Any]:
        response = cloud.request(
            "POST", "/v1/products", json=new_product(category_id, **overrides), token=seller.token
        )
        assert response.status == 201, response.text
        product = dict(response.json())
        product["seller_token"] = seller.token
        stock(cloud, product["product_id"], available)
        return product

    return listed


def put_line(cloud: LocalCloud, token: str, product_id: str, quantity: Any) -> Any:
    return cloud.request("PUT", f"/v1/cart/items/{product_id}", json={"quantity": quantity}, token=token)


# ---------------------------------------------------------------------- the customer's cart
def test_a_customer_adds_views_changes_removes_and_empties(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    me = actor()
    earbuds = shop(name="Earbuds", price={"amount": 7999, "currency": "USD"})
    cable = shop(name="Cable", price={"amount": 999, "currency": "USD"})

    empty = cloud.request("GET", "/v1/cart", token=me.token)
    assert empty.status == 200
    assert empty.json() == {
        "cart_id": me.user_id,
        "lines": [],
        "total": None,
        "item_count": 0,
        "expires_at": None,
        "currency": None,
    }

    added = put_line(cloud, me.token, earbuds["product_id"], 2)
    assert added.status == 200, added.text
    assert added.headers["cache-control"] == "no-store"
    put_line(cloud, me.token, cable["product_id"], 3)

    cart = cloud.request("GET", "/v1/cart", token=me.token).json()
    assert [(line["name"], line["quantity"]) for line in cart["lines"]] == [("Earbuds", 2), ("Cable", 3)]
    line = cart["lines"][0]
    assert line["unit_price"] == {"amount": 7999, "currency": "USD"}
    assert line["subtotal"] == {"amount": 15998, "currency": "USD"}
    assert line["warnings"] == []
    assert line["image"] is None
    assert cart["total"] == {"amount": 15998 + 2997, "currency": "USD"}
    assert cart["item_count"] == 5
    assert cart["currency"] == "USD"
    assert cart["expires_at"].endswith("Z")

    changed = put_line(cloud, me.token, earbuds["product_id"], 1).json()
    assert changed["total"] == {"amount": 7999 + 2997, "currency": "USD"}

    removed = cloud.request("DELETE", f"/v1/cart/items/{earbuds['product_id']}", token=me.token)
    assert removed.status == 200
    assert [line["name"] for line in removed.json()["lines"]] == ["Cable"]
    again = cloud.request("DELETE", f"/v1/cart/items/{earbuds['product_id']}", token=me.token)
    assert again.status == 200, "removing a line that is not there is fine"

    assert cloud.request("DELETE", "/v1/cart", token=me.token).status == 204
    assert cloud.request("DELETE", "/v1/cart", token=me.token).status == 204
    assert cloud.request("GET", "/v1/cart", token=me.token).json()["lines"] == []


def test_a_line_needs_enough_stock(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    me = actor()
    scarce = shop(available=3)

    response = put_line(cloud, me.token, scarce["product_id"], 4)

    assert response.status == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "insufficient_stock"
    assert problem["available"] == 3
    assert put_line(cloud, me.token, scarce["product_id"], 3).status == 200


def test_unknown_products_and_other_currencies_are_refused(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    me = actor()
    dollars = shop()
    euros = shop(price={"amount": 5000, "currency": "EUR"})

    unknown = put_line(cloud, me.token, new_id(), 1)
    assert unknown.status == 404
    assert unknown.json()["code"] == "product_not_found"

    assert put_line(cloud, me.token, dollars["product_id"], 1).status == 200
    mismatch = put_line(cloud, me.token, euros["product_id"], 1)
    assert mismatch.status == 409
    assert mismatch.json()["code"] == "currency_mismatch"


def test_an_archived_product_stays_in_the_cart_as_unavailable(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    me = actor()
    kept, archived = shop(name="Kept"), shop(name="Gone", price={"amount": 500, "currency": "USD"})
    put_line(cloud, me.token, kept["product_id"], 1)
    put_line(cloud, me.token, archived["product_id"], 2)

    path = f"/v1/products/{archived['product_id']}"
    assert cloud.request("DELETE", path, token=archived["seller_token"]).status == 204
    cart = cloud.request("GET", "/v1/cart", token=me.token).json()

    gone = cart["lines"][1]
    assert gone["name"] == "Gone"
    assert gone["warnings"] == ["unavailable"]
    assert gone["subtotal"] == {"amount": 0, "currency": "USD"}
    assert cart["total"] == {"amount": 7999, "currency": "USD"}
    again = put_line(cloud, me.token, archived["product_id"], 1)
    assert again.status == 404
    assert again.json()["code"] == "product_not_found"


def test_a_price_change_is_flagged_until_the_line_is_set_again(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    me = actor()
    product = shop(price={"amount": 7999, "currency": "USD"})
    put_line(cloud, me.token, product["product_id"], 2)

    patched = cloud.request(
        "PATCH",
        f"/v1/products/{product['product_id']}",
        json={"price": {"amount": 6999, "currency": "USD"}},
        token=product["seller_token"],
    )
    assert patched.status == 200
    line = cloud.request("GET", "/v1/cart", token=me.token).json()["lines"][0]

    assert line["warnings"] == ["price_changed"]
    assert line["unit_price"] == {"amount": 6999, "currency": "USD"}
    assert line["previous_unit_price"] == {"amount": 7999, "currency": "USD"}
    assert line["subtotal"] == {"amount": 13998, "currency": "USD"}
    reset = put_line(cloud, me.token, product["product_id"], 2).json()["lines"][0]
    assert reset["warnings"] == []
    assert reset["previous_unit_price"] is None


def test_a_line_with_more_than_the_stock_left_is_flagged(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    me = actor()
    product = shop(available=5)
    put_line(cloud, me.token, product["product_id"], 4)
    stock(cloud, product["product_id"], 2)

    line = cloud.request("GET", "/v1/cart", token=me.token).json()["lines"][0]

    assert line["warnings"] == ["insufficient_stock"]
    assert line["available"] == 2


@pytest.mark.parametrize("quantity", [0, 100, "2", 1.5, None, True])
def test_a_quantity_is_a_whole_number_from_1_to_99(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]], quantity: Any
) -> None:
    me = actor()
    product = shop()

    response = put_line(cloud, me.token, product["product_id"], quantity)

    assert response.status == 422
    assert response.json()["code"] == "validation_failed"
    assert response.json()["errors"][0]["field"] == "body.quantity"


def test_unknown_fields_and_malformed_ids_are_rejected(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    me = actor()
    product = shop()

    extra = cloud.request(
        "PUT", f"/v1/cart/items/{product['product_id']}", json={"quantity": 1, "price": 1}, token=me.token
    )
    assert extra.status == 422
    assert extra.json()["errors"][0]["field"] == "body.price"
    assert put_line(cloud, me.token, "not-a-ulid", 1).status == 422
    assert cloud.request("DELETE", "/v1/cart/items/not-a-ulid", token=me.token).status == 422
    assert cloud.request("POST", "/v1/cart/merge", json={}, token=me.token).status == 422


def test_carts_need_a_customer(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    seller = actor("seller")
    product = shop()

    for method, path, body in [
        ("GET", "/v1/cart", None),
        ("PUT", f"/v1/cart/items/{product['product_id']}", {"quantity": 1}),
        ("DELETE", f"/v1/cart/items/{product['product_id']}", None),
        ("DELETE", "/v1/cart", None),
        ("POST", "/v1/cart/merge", {"guest_cart_id": "g_" + "0" * 32}),
    ]:
        forbidden = cloud.request(method, path, json=body, token=seller.token)
        assert forbidden.status == 403, (method, path)
        assert forbidden.json()["code"] == "role_required"
        assert cloud.request(method, path, json=body).status == 401
    admin = actor("admin")
    assert cloud.request("GET", "/v1/cart", token=admin.token).status == 200


def test_an_expired_cart_reads_as_empty_and_starts_again_from_empty(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    me = actor()
    first, second = shop(name="First"), shop(name="Second")
    put_line(cloud, me.token, first["product_id"], 1)
    cloud.client("dynamodb").update_item(
        TableName=cloud.ref("CartsTable"),
        Key={"pk": {"S": f"CART#{me.user_id}"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 60)}},
    )

    expired = cloud.request("GET", "/v1/cart", token=me.token).json()
    assert (expired["lines"], expired["total"], expired["expires_at"]) == ([], None, None)

    fresh = put_line(cloud, me.token, second["product_id"], 1).json()
    assert [line["name"] for line in fresh["lines"]] == ["Second"]
    assert fresh["expires_at"] is not None


# ---------------------------------------------------------------------- guests
def test_a_guest_cart_lives_by_its_id_and_merges_into_a_customer_cart(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    earbuds, cable = shop(name="Earbuds"), shop(name="Cable", price={"amount": 999, "currency": "USD"})

    created = cloud.request("POST", "/v1/guest-carts")
    assert created.status == 201, created.text
    guest = created.json()
    cart_id = guest["cart_id"]
    assert created.headers["location"] == f"/v1/guest-carts/{cart_id}"
    assert cart_id.startswith("g_") and len(cart_id) == 34
    assert guest["lines"] == [] and guest["expires_at"] is not None

    path = f"/v1/guest-carts/{cart_id}"
    assert cloud.request("PUT", f"{path}/items/{earbuds['product_id']}", json={"quantity": 2}).status == 200
    assert cloud.request("PUT", f"{path}/items/{cable['product_id']}", json={"quantity": 1}).status == 200
    short = cloud.request("PUT", f"{path}/items/{cable['product_id']}", json={"quantity": 11})
    assert short.status == 409 and short.json()["available"] == 10
    assert cloud.request("GET", path).json()["item_count"] == 3

    # The shopper signs in, with one earbud already in their customer cart.
    me = actor()
    put_line(cloud, me.token, earbuds["product_id"], 1)
    merged = cloud.request("POST", "/v1/cart/merge", json={"guest_cart_id": cart_id}, token=me.token)
    assert merged.status == 200, merged.text
    body = merged.json()
    assert body["cart_id"] == me.user_id
    assert [(line["name"], line["quantity"]) for line in body["lines"]] == [("Earbuds", 3), ("Cable", 1)]
    assert body["skipped"] == []

    # The guest cart is gone: a second merge (a retried request) finds nothing.
    assert cloud.request("GET", path).json()["code"] == "cart_not_found"
    again = cloud.request("POST", "/v1/cart/merge", json={"guest_cart_id": cart_id}, token=me.token)
    assert again.status == 404
    assert again.json()["code"] == "cart_not_found"
    assert cloud.request("GET", "/v1/cart", token=me.token).json()["item_count"] == 4


def test_a_merge_skips_lines_in_another_currency(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    dollars, euros = shop(), shop(price={"amount": 5000, "currency": "EUR"})
    cart_id = cloud.request("POST", "/v1/guest-carts").json()["cart_id"]
    cloud.request("PUT", f"/v1/guest-carts/{cart_id}/items/{euros['product_id']}", json={"quantity": 2})
    me = actor()
    put_line(cloud, me.token, dollars["product_id"], 1)

    merged = cloud.request("POST", "/v1/cart/merge", json={"guest_cart_id": cart_id}, token=me.token).json()

    assert [line["product_id"] for line in merged["lines"]] == [dollars["product_id"]]
    assert merged["skipped"] == [
        {"product_id": euros["product_id"], "quantity": 2, "reason": "currency_mismatch"}
    ]


def test_unknown_malformed_and_emptied_guest_carts(
    cloud: LocalCloud, shop: Callable[..., dict[str, Any]], actor: Callable[..., Actor]
) -> None:
    product = shop()
    for cart_id in ["g_" + "0" * 32, "g_short", "G_" + "A" * 32, "x" * 300, "%00"]:
        path = f"/v1/guest-carts/{cart_id}"
        for method, suffix, body in [
            ("GET", "", None),
            ("DELETE", "", None),
            ("PUT", f"/items/{product['product_id']}", {"quantity": 1}),
            ("DELETE", f"/items/{product['product_id']}", None),
        ]:
            response = cloud.request(method, path + suffix, json=body)
            assert response.status == 404, (method, cart_id, response.text)
            assert response.json()["code"] == "cart_not_found"
    me = actor()
    for guest_cart_id in ["g_" + "0" * 32, "nonsense"]:
        merge = cloud.request("POST", "/v1/cart/merge", json={"guest_cart_id": guest_cart_id}, token=me.token)
        assert merge.status == 404
        assert merge.json()["code"] == "cart_not_found"

    cart_id = cloud.request("POST", "/v1/guest-carts").json()["cart_id"]
    cloud.request("PUT", f"/v1/guest-carts/{cart_id}/items/{product['product_id']}", json={"quantity": 1})
    assert cloud.request("DELETE", f"/v1/guest-carts/{cart_id}").status == 204
    assert cloud.request("GET", f"/v1/guest-carts/{cart_id}").json()["lines"] == [], "emptied, not deleted"


def test_an_expired_guest_cart_is_not_found(cloud: LocalCloud) -> None:
    cart_id = cloud.request("POST", "/v1/guest-carts").json()["cart_id"]
    cloud.client("dynamodb").update_item(
        TableName=cloud.ref("CartsTable"),
        Key={"pk": {"S": f"CART#{cart_id}"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )

    response = cloud.request("GET", f"/v1/guest-carts/{cart_id}")

    assert response.status == 404
    assert response.json()["code"] == "cart_not_found"


# ---------------------------------------------------------------------- races
def test_concurrent_puts_of_different_products_all_survive(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: Callable[..., dict[str, Any]]
) -> None:
    # GIVEN ten products in stock
    me = actor()
    products = [shop(name=f"Item {i}")["product_id"] for i in range(10)]

    # WHEN ten requests each put a different product into the same cart at once
    def put(product_id: str) -> int:
        return int(put_line(cloud, me.token, product_id, 1).status)

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(put, products))

    # THEN every one succeeds and no line is lost
    assert statuses == [200] * 10
    cart = cloud.request("GET", "/v1/cart", token=me.token).json()
    assert sorted(line["product_id"] for line in cart["lines"]) == sorted(products)
    assert cart["item_count"] == 10
