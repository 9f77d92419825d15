"""What a customer bought and looked at shapes their search ranking and recommendations;
what everyone bought and looked at makes the trending list.

Fixture shoppers: Hana buys headphones; Kai looks at kitchen things; nobody is signed in for
the baseline. Two products match "wireless" about equally, one of each category.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud
from support import Actor, checkout, fill_cart, list_product, settled


@pytest.fixture
def store(
    cloud: LocalCloud, actor: Callable[..., Actor], category: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    headphones, kitchen = category("Headphones"), category("Kitchen")
    audio_seller, kitchen_seller = actor("seller"), actor("seller")

    def listed(name: str, description: str, where: dict[str, Any], seller: Actor) -> dict[str, Any]:
        return list_product(
            cloud,
            seller,
            where["category_id"],
            available=50,
            name=name,
            description=description,
            price={"amount": 2500, "currency": "USD"},
        )

    return {
        # The frother mentions "wireless" twice, so anonymous shoppers see it first.
        "frother": listed("Ember Wireless Frother", "Wireless, whisper quiet.", kitchen, kitchen_seller),
        "earbuds": listed("Nimbus Wireless Earbuds", "Light and quiet.", headphones, audio_seller),
        "case": listed("Nimbus Charging Case", "Spare case for earbuds.", headphones, audio_seller),
        "kettle": listed("Ember Kettle", "Boils fast.", kitchen, kitchen_seller),
    }


def buy(cloud: LocalCloud, customer: Actor, *product_ids: str) -> None:
    fill_cart(cloud, customer, *((product_id, 1) for product_id in product_ids))
    placed = checkout(cloud, customer)
    assert placed.status == 202, placed.text
    assert settled(cloud, customer, placed.json()["order_id"])["status"] == "confirmed"


def ranking(cloud: LocalCloud, token: str | None = None) -> tuple[list[str], Any]:
    response = cloud.request("GET", "/v1/search?q=wireless", token=token)
    assert response.status == 200, response.text
    return [item["name"] for item in response.json()["items"]], response


def test_without_a_history_the_ranking_is_everyones(
    cloud: LocalCloud, store: dict[str, Any], actor: Callable[..., Actor]
) -> None:
    anonymous, response = ranking(cloud)
    assert anonymous == ["Ember Wireless Frother", "Nimbus Wireless Earbuds"]
    assert response.json()["personalised"] is False
    newcomer, _ = ranking(cloud, actor("customer").token)
    assert newcomer == anonymous


def test_a_customer_who_bought_headphones_sees_headphones_first(
    cloud: LocalCloud, store: dict[str, Any], actor: Callable[..., Actor]
) -> None:
    hana = actor("customer")
    buy(cloud, hana, store["case"]["product_id"])
    ranked, response = ranking(cloud, hana.token)
    assert ranked == ["Nimbus Wireless Earbuds", "Ember Wireless Frother"]
    assert response.json()["personalised"] is True
    assert response.headers["cache-control"] == "private, max-age=60"
    assert response.headers["vary"] == "Authorization"


def test_products_a_customer_looked_at_lean_their_ranking_too(
    cloud: LocalCloud, store: dict[str, Any], actor: Callable[..., Actor]
) -> None:
    kai = actor("customer")
    # Kai first leans to headphones by looking, then looks at the kitchen more.
    for key in ("case", "kettle", "kettle", "frother"):
        page = cloud.request("GET", f"/v1/products/{store[key]['product_id']}", token=kai.token)
        assert page.status == 200
    ranked, _ = ranking(cloud, kai.token)
    assert ranked == ["Ember Wireless Frother", "Nimbus Wireless Earbuds"]
    for _ in range(4):
        cloud.request("GET", f"/v1/products/{store['earbuds']['product_id']}", token=kai.token)
    ranked, _ = ranking(cloud, kai.token)
    assert ranked == ["Nimbus Wireless Earbuds", "Ember Wireless Frother"]


def test_sorting_by_price_is_never_personalised(
    cloud: LocalCloud, store: dict[str, Any], actor: Callable[..., Actor]
) -> None:
    hana = actor("customer")
    buy(cloud, hana, store["case"]["product_id"])
    response = cloud.request("GET", "/v1/search?q=wireless&sort=price_asc", token=hana.token)
    assert response.json()["personalised"] is False
    assert response.headers["cache-control"] == "public, max-age=60"


def test_recommendations_offer_what_others_bought_with_the_customers_purchases(
    cloud: LocalCloud, store: dict[str, Any], actor: Callable[..., Actor]
) -> None:
    early, later = actor("customer"), actor("customer")
    buy(cloud, early, store["earbuds"]["product_id"], store["case"]["product_id"])
    buy(cloud, later, store["earbuds"]["product_id"])
    response = cloud.request("GET", "/v1/recommendations", token=later.token)
    assert response.status == 200, response.text
    picked = [item["product_id"] for item in response.json()["items"]]
    assert picked[0] == store["case"]["product_id"]
    assert store["earbuds"]["product_id"] not in picked  # never what they already bought
    assert response.headers["cache-control"] == "private, max-age=300"


def test_recommendations_need_a_signed_in_customer(cloud: LocalCloud) -> None:
    assert cloud.request("GET", "/v1/recommendations").status == 401


def test_trending_ranks_what_sold_and_was_looked_at_since_the_hourly_job_ran(
    cloud: LocalCloud, store: dict[str, Any], actor: Callable[..., Actor]
) -> None:
    assert cloud.request("GET", "/v1/products/trending").json() == {"items": []}
    shopper = actor("customer")
    buy(cloud, shopper, store["kettle"]["product_id"])
    cloud.request("GET", f"/v1/products/{store['frother']['product_id']}", token=shopper.token)
    cloud.fire_schedule("JobsFunctionRefreshTrending")
    response = cloud.request("GET", "/v1/products/trending")
    assert response.status == 200, response.text
    assert [item["name"] for item in response.json()["items"]] == ["Ember Kettle", "Ember Wireless Frother"]
    assert response.headers["cache-control"] == "public, max-age=600"


def test_an_order_delivered_twice_is_learnt_from_once(
    cloud: LocalCloud, store: dict[str, Any], actor: Callable[..., Actor]
) -> None:
    shopper = actor("customer")
    event = {
        "detail-type": "OrderConfirmed",
        "source": "commerce.orders",
        "detail": {
            "order_id": "01J0000000000000000000000A",
            "customer_id": shopper.user_id,
            "lines": [
                {
                    "product_id": store["earbuds"]["product_id"],
                    "seller_id": store["earbuds"]["seller_id"],
                    "quantity": 1,
                },
                {
                    "product_id": store["case"]["product_id"],
                    "seller_id": store["case"]["seller_id"],
                    "quantity": 1,
                },
            ],
            "confirmed_at": "2026-12-01T10:00:00Z",
        },
    }
    first = cloud.invoke("RecommendationEventsFunction", event)
    again = cloud.invoke("RecommendationEventsFunction", event)
    assert (first["recorded"], again["recorded"]) == (True, False)
    from commerce import bootstrap

    together = bootstrap.recommendation_service().bought_together(store["earbuds"]["product_id"])
    assert together == [(store["case"]["product_id"], 1)]
