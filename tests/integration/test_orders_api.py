"""The orders API over a real checkout: customers list, read and cancel their orders;
sellers see, ship and deliver only their own part of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from localcloud import LocalCloud
from support import Actor, card, checkout, fill_cart, settled, stock_of

Category = Callable[..., dict[str, Any]]
SHIPMENT = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}


def place(
    cloud: LocalCloud, customer: Actor, *lines: tuple[str, int], payment_method_id: str = "pm_card_visa"
) -> dict[str, Any]:
    """Fills the cart, checks out and waits for the saga; returns the settled order."""
    fill_cart(cloud, customer, *lines)
    response = checkout(cloud, customer, payment_method=card(payment_method_id))
    assert response.status == 202, response.text
    return settled(cloud, customer, response.json()["order_id"])


def seller_orders(cloud: LocalCloud, seller: Actor) -> list[dict[str, Any]]:
    response = cloud.request("GET", "/v1/seller/orders", token=seller.token)
    assert response.status == 200, response.text
    return list(response.json()["items"])


def order_of(cloud: LocalCloud, customer: Actor, order_id: str) -> dict[str, Any]:
    response = cloud.request("GET", f"/v1/orders/{order_id}", token=customer.token)
    assert response.status == 200, response.text
    return dict(response.json())


def fulfilment_of(order: dict[str, Any], seller: Actor) -> dict[str, Any]:
    return next(f for f in order["fulfilments"] if f["seller_id"] == seller.user_id)


# ---------------------------------------------------------------------- customers
def test_a_customer_lists_only_their_own_orders_newest_first_page_by_page_and_cannot_read_anothers(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, stranger, admin = actor("customer"), actor("customer"), actor("admin")
    product = listed(available=20)
    placed = [place(cloud, customer, (product["product_id"], 1))["order_id"] for _ in range(3)]
    theirs = place(cloud, stranger, (product["product_id"], 1))["order_id"]

    first = cloud.request("GET", "/v1/orders?limit=2", token=customer.token)
    assert first.status == 200, first.text
    assert {k.lower(): v for k, v in first.headers.items()}["cache-control"] == "no-store"
    assert first.json()["next_cursor"]
    query = urlencode({"limit": 2, "cursor": first.json()["next_cursor"]})
    second = cloud.request("GET", f"/v1/orders?{query}", token=customer.token)
    assert second.status == 200, second.text
    assert second.json()["next_cursor"] is None

    pages = [[o["order_id"] for o in page.json()["items"]] for page in (first, second)]
    assert pages == [placed[::-1][:2], placed[::-1][2:]]

    hidden = cloud.request("GET", f"/v1/orders/{theirs}", token=customer.token)
    assert hidden.status == 404, hidden.text
    assert hidden.json()["code"] == "order_not_found"
    as_admin = cloud.request("GET", f"/v1/orders/{theirs}", token=admin.token)
    assert as_admin.status == 200, as_admin.text
    assert as_admin.json()["order_id"] == theirs


def test_cancelling_a_confirmed_order_returns_the_stock_and_refunds_the_payment_once(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, stranger = actor("customer"), actor("customer")
    product = listed(available=5)
    order = place(cloud, customer, (product["product_id"], 2))
    assert order["status"] == "confirmed"
    assert stock_of(cloud, product["product_id"]) == (3, 0, 2)

    someone_elses = cloud.request("POST", f"/v1/orders/{order['order_id']}/cancel", token=stranger.token)
    assert someone_elses.status == 404, someone_elses.text
    assert someone_elses.json()["code"] == "order_not_found"

    cancelled = cloud.request("POST", f"/v1/orders/{order['order_id']}/cancel", token=customer.token)
    assert cancelled.status == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert body["cancellation_reason"] == "customer_request"
    assert body["payment"]["status"] == "refunded"
    assert {f["status"] for f in body["fulfilments"]} == {"cancelled"}
    assert stock_of(cloud, product["product_id"]) == (5, 0, 0)

    again = cloud.request("POST", f"/v1/orders/{order['order_id']}/cancel", token=customer.token)
    assert again.status == 200, again.text
    assert again.json() == body
    assert stock_of(cloud, product["product_id"]) == (5, 0, 0)


# ---------------------------------------------------------------------- sellers
def test_each_seller_sees_ships_and_delivers_only_their_part_and_the_order_follows_them(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, seller_a, seller_b, outsider = (
        actor("customer"),
        actor("seller"),
        actor("seller"),
        actor("seller"),
    )
    from_a = listed(available=5, seller=seller_a, name="Earbuds from A")
    from_b = listed(available=5, seller=seller_b, name="Speaker from B")
    order = place(cloud, customer, (from_a["product_id"], 1), (from_b["product_id"], 2))
    order_id = order["order_id"]
    assert order["status"] == "confirmed"
    assert sorted(f["seller_id"] for f in order["fulfilments"]) == sorted(
        [seller_a.user_id, seller_b.user_id]
    )
    assert fulfilment_of(order, seller_a)["product_ids"] == [from_a["product_id"]]
    assert fulfilment_of(order, seller_b)["product_ids"] == [from_b["product_id"]]

    for seller, product, quantity in ((seller_a, from_a, 1), (seller_b, from_b, 2)):
        [part] = seller_orders(cloud, seller)
        assert part["order_id"] == order_id
        assert part["status"] == "confirmed"
        assert [(line["product_id"], line["quantity"]) for line in part["lines"]] == [
            (product["product_id"], quantity)
        ]
        assert {line["seller_id"] for line in part["lines"]} == {seller.user_id}
    assert seller_orders(cloud, outsider) == []

    ships = f"/v1/seller/orders/{order_id}/shipments"
    shipped_a = cloud.request("POST", ships, json=SHIPMENT, token=seller_a.token)
    assert shipped_a.status == 200, shipped_a.text
    assert shipped_a.json()["status"] == "shipped"
    assert shipped_a.json()["shipment"]["tracking_number"] == SHIPMENT["tracking_number"]
    after_a = order_of(cloud, customer, order_id)
    assert after_a["status"] == "confirmed"
    assert fulfilment_of(after_a, seller_a)["status"] == "shipped"
    assert fulfilment_of(after_a, seller_b)["status"] == "confirmed"

    shipped_b = cloud.request(
        "POST", ships, json={"carrier": "DHL", "tracking_number": "JD0146000012345"}, token=seller_b.token
    )
    assert shipped_b.status == 200, shipped_b.text
    assert shipped_b.json()["order_status"] == "shipped"
    assert order_of(cloud, customer, order_id)["status"] == "shipped"

    replay = cloud.request("POST", ships, json=SHIPMENT, token=seller_a.token)
    assert replay.status == 200, replay.text
    assert replay.json() == cloud.request("POST", ships, json=SHIPMENT, token=seller_a.token).json()
    assert {k: replay.json()["shipment"][k] for k in SHIPMENT} == SHIPMENT
    other = cloud.request(
        "POST", ships, json={"carrier": "UPS", "tracking_number": "1Z999AA10000000000"}, token=seller_a.token
    )
    assert other.status == 409, other.text
    assert other.json()["code"] == "already_shipped"

    too_late = cloud.request("POST", f"/v1/orders/{order_id}/cancel", token=customer.token)
    assert too_late.status == 409, too_late.text
    assert too_late.json()["code"] == "order_already_shipped"

    not_theirs = cloud.request("POST", ships, json=SHIPMENT, token=outsider.token)
    assert not_theirs.status == 404, not_theirs.text
    assert not_theirs.json()["code"] == "order_not_found"
    not_theirs_delivery = cloud.request(
        "POST", f"/v1/seller/orders/{order_id}/delivery", token=outsider.token
    )
    assert not_theirs_delivery.status == 404, not_theirs_delivery.text
    for method, path, body in (
        ("GET", "/v1/seller/orders", None),
        ("POST", ships, SHIPMENT),
        ("POST", f"/v1/seller/orders/{order_id}/delivery", None),
    ):
        forbidden = cloud.request(method, path, json=body, token=customer.token)
        assert forbidden.status == 403, (path, forbidden.text)

    delivered_a = cloud.request("POST", f"/v1/seller/orders/{order_id}/delivery", token=seller_a.token)
    assert delivered_a.status == 200, delivered_a.text
    assert delivered_a.json()["status"] == "delivered"
    assert delivered_a.json()["order_status"] == "shipped"
    delivered_b = cloud.request("POST", f"/v1/seller/orders/{order_id}/delivery", token=seller_b.token)
    assert delivered_b.status == 200, delivered_b.text
    final = order_of(cloud, customer, order_id)
    assert final["status"] == "delivered"
    assert {f["status"] for f in final["fulfilments"]} == {"delivered"}


def test_the_shipment_a_seller_is_told_about_is_the_one_that_was_recorded(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, seller = actor("customer"), actor("seller")
    product = listed(available=5, seller=seller)
    order_id = place(cloud, customer, (product["product_id"], 1))["order_id"]

    shipped = cloud.request(
        "POST", f"/v1/seller/orders/{order_id}/shipments", json=SHIPMENT, token=seller.token
    )
    assert shipped.status == 200, shipped.text

    assert seller_orders(cloud, seller)[0]["shipment"] == shipped.json()["shipment"]


def test_an_order_its_checkout_cancelled_never_reaches_the_sellers_list(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, seller = actor("customer"), actor("seller")
    product = listed(available=5, seller=seller)
    order = place(cloud, customer, (product["product_id"], 1), payment_method_id="pm_card_chargeDeclined")

    assert order["status"] == "cancelled"
    assert order["cancellation_reason"] == "payment_declined"
    assert seller_orders(cloud, seller) == []
    ships = cloud.request(
        "POST", f"/v1/seller/orders/{order['order_id']}/shipments", json=SHIPMENT, token=seller.token
    )
    assert ships.status == 404, ships.text
