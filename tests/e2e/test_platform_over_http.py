"""The quick start's promises, checked over real HTTP against a started stack."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

DEMO_PASSWORD = "Demo1234!"


def login(base_url: str, email: str) -> str:
    response = requests.post(
        f"{base_url}/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_three_demo_accounts_sign_in_with_their_roles(base_url: str) -> None:
    for email, account_type in [
        ("admin@example.com", "admin"),
        ("seller@example.com", "seller"),
        ("customer@example.com", "customer"),
    ]:
        me = requests.get(f"{base_url}/v1/me", headers=auth(login(base_url, email)), timeout=10).json()
        assert me["email"] == email
        assert me["account_type"] == account_type


def test_the_demo_catalogue_has_at_least_200_products_across_pages(base_url: str) -> None:
    seen: set[str] = set()
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = requests.get(f"{base_url}/v1/products", params=params, timeout=10).json()
        seen.update(p["product_id"] for p in page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) >= 200
    tree = requests.get(f"{base_url}/v1/categories", timeout=10).json()["items"]
    assert len(tree) >= 6


def test_a_seller_lists_a_product_a_customer_finds_and_a_rival_cannot_touch(base_url: str) -> None:
    seller = login(base_url, "seller@example.com")
    customer = login(base_url, "customer@example.com")
    leaf = next(
        node
        for root in requests.get(f"{base_url}/v1/categories", timeout=10).json()["items"]
        for node in root["children"]
        if not node["children"]
    )
    body = {
        "name": f"E2E Kettle {uuid.uuid4().hex[:6]}",
        "description": "Boils water over HTTP.",
        "price": {"amount": 3499, "currency": "USD"},
        "category_id": leaf["category_id"],
    }
    created = requests.post(f"{base_url}/v1/products", json=body, headers=auth(seller), timeout=10)
    assert created.status_code == 201
    product_path = created.headers["Location"]
    assert requests.get(f"{base_url}{product_path}", timeout=10).json()["name"] == body["name"]
    listing = requests.get(
        f"{base_url}/v1/products", params={"category": leaf["category_id"], "limit": 5}, timeout=10
    ).json()
    assert listing["items"][0]["name"] == body["name"], "newest first"
    as_customer = requests.post(f"{base_url}/v1/products", json=body, headers=auth(customer), timeout=10)
    assert as_customer.status_code == 403
    assert as_customer.headers["Content-Type"] == "application/problem+json"
    rival = login(base_url, "northwind@example.com")
    hijack = requests.patch(
        f"{base_url}{product_path}", json={"name": "Mine"}, headers=auth(rival), timeout=10
    )
    assert hijack.status_code == 403
    assert hijack.json()["code"] == "not_product_owner"


def test_shoppers_search_the_demo_catalogue_with_typos_facets_and_autocomplete(base_url: str) -> None:
    found = requests.get(f"{base_url}/v1/search", params={"q": "wireles hedphones", "limit": 5}, timeout=10)
    assert found.status_code == 200, found.text
    results = found.json()
    assert results["total"] > 0
    assert "Headphones" in results["items"][0]["name"]
    assert len(results["facets"]["price_bands"]) == 6
    cheap = requests.get(
        f"{base_url}/v1/search", params={"max_price": 2000, "sort": "price_desc", "limit": 50}, timeout=10
    ).json()
    prices = [item["price"]["amount"] for item in cheap["items"]]
    assert prices == sorted(prices, reverse=True)
    assert all(price <= 2000 for price in prices)
    suggestions = requests.get(f"{base_url}/v1/search/suggest", params={"q": "wirel"}, timeout=10).json()
    assert suggestions["items"]
    assert all("wireless" in s["text"].lower() for s in suggestions["items"])
    page = requests.get(f"{base_url}/v1/products/{results['items'][0]['product_id']}", timeout=10)
    cached = requests.get(
        f"{base_url}/v1/products/{results['items'][0]['product_id']}",
        headers={"If-None-Match": page.headers["ETag"]},
        timeout=10,
    )
    assert cached.status_code == 304


def test_bad_input_over_http_is_a_4xx_problem_never_a_5xx(base_url: str) -> None:
    seller = {**auth(login(base_url, "seller@example.com")), "Content-Type": "application/json"}
    malformed = requests.post(f"{base_url}/v1/products", data=b'{"name": [', headers=seller, timeout=10)
    assert malformed.status_code == 400
    wrong_types = requests.post(
        f"{base_url}/v1/products",
        json={"name": 5, "price": {"amount": "cheap", "currency": 1}, "category_id": None},
        headers=seller,
        timeout=10,
    )
    assert wrong_types.status_code == 422
    assert {"body.name", "body.price.amount", "body.price.currency", "body.category_id"} <= {
        e["field"] for e in wrong_types.json()["errors"]
    }
    huge = requests.post(f"{base_url}/v1/products", data=b"x" * 2_000_000, headers=seller, timeout=30)
    assert huge.status_code == 413
    unknown_field = requests.post(
        f"{base_url}/v1/auth/login",
        json={"email": "a@example.com", "password": "x", "remember_me": True},
        timeout=10,
    )
    assert unknown_field.status_code == 422
    assert requests.get(f"{base_url}/v1/nowhere", timeout=10).status_code == 404
    assert requests.get(f"{base_url}/v1/me", timeout=10).status_code == 401
    assert (
        requests.get(f"{base_url}/v1/me", headers={"Authorization": "Bearer x.y.z"}, timeout=10).status_code
        == 401
    )


def test_the_docs_are_served(base_url: str) -> None:
    document = requests.get(f"{base_url}/v1/openapi.json", timeout=10).json()
    assert document["info"]["title"] == "Commerce API"
    page = requests.get(f"{base_url}/v1/docs", timeout=10)
    assert page.status_code == 200
    assert "swagger" in page.text.lower()


def _order_when(base_url: str, token: str, order_id: str, done: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        order = requests.get(f"{base_url}/v1/orders/{order_id}", headers=auth(token), timeout=10).json()
        if done(order):
            return dict(order)
        assert time.monotonic() < deadline, f"order never got there: {order}"
        time.sleep(0.2)


def test_a_3ds_checkout_answered_on_the_simulators_page_confirms_and_an_admin_refunds_it_to_the_wallet(
    base_url: str,
) -> None:
    seller, customer = login(base_url, "seller@example.com"), login(base_url, "customer@example.com")
    admin = login(base_url, "admin@example.com")
    leaf = next(
        node
        for root in requests.get(f"{base_url}/v1/categories", timeout=10).json()["items"]
        for node in root["children"]
        if not node["children"]
    )
    body = {
        "name": f"E2E Teapot {uuid.uuid4().hex[:6]}",
        "description": "Pays with 3-D Secure.",
        "price": {"amount": 4000, "currency": "USD"},
        "category_id": leaf["category_id"],
    }
    product_id = requests.post(f"{base_url}/v1/products", json=body, headers=auth(seller), timeout=10).json()[
        "product_id"
    ]
    stocked = requests.put(
        f"{base_url}/v1/inventory/{product_id}", json={"available": 3}, headers=auth(seller), timeout=10
    )
    assert stocked.status_code == 200, stocked.text
    requests.delete(f"{base_url}/v1/cart", headers=auth(customer), timeout=10)
    added = requests.put(
        f"{base_url}/v1/cart/items/{product_id}", json={"quantity": 1}, headers=auth(customer), timeout=10
    )
    assert added.status_code == 200, added.text
    placed = requests.post(
        f"{base_url}/v1/checkout",
        json={
            "payment_method": {"type": "card", "payment_method_id": "pm_card_authenticationRequired"},
            "shipping_address": {
                "full_name": "Ada Lovelace",
                "line1": "1 Rue de Rivoli",
                "city": "Paris",
                "postal_code": "75001",
                "country": "FR",
            },
        },
        headers={**auth(customer), "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["order_id"]

    waiting = _order_when(base_url, customer, order_id, lambda o: o["payment"]["status"] == "requires_action")
    assert waiting["payment"]["next_action"]["client_secret"]
    # At once: if the saga has not parked on its task token yet, it finds the payment done itself.
    answered = requests.post(f"{base_url}/_simulator/3ds/{order_id}", timeout=30)
    assert answered.status_code == 200, answered.text
    # The saga confirms the order a step before it captures: wait for the capture (or a cancellation).
    confirmed = _order_when(
        base_url,
        customer,
        order_id,
        lambda o: o["status"] == "cancelled" or o["payment"]["status"] == "captured",
    )
    assert (confirmed["status"], confirmed["payment"]["status"]) == ("confirmed", "captured")

    refunded = requests.post(
        f"{base_url}/v1/orders/{order_id}/refunds",
        json={"reason": "Lid chipped", "destination": "wallet"},
        headers={**auth(admin), "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["payment"]["status"] == "refunded"
    wallet = requests.get(f"{base_url}/v1/wallet", headers=auth(customer), timeout=10).json()
    assert wallet["entries"][0]["order_id"] == order_id
    assert wallet["entries"][0]["kind"] == "store_credit"
