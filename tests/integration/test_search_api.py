"""Search over HTTP through the local cloud: the products table's stream feeds the index, and
GET /v1/search and /v1/search/suggest answer from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from localcloud import LocalCloud
from support import Actor, list_product


def search(cloud: LocalCloud, query: str = "", token: str | None = None, **params: Any) -> dict[str, Any]:
    path = "/v1/search?q=" + quote(query) + "".join(f"&{k}={quote(str(v))}" for k, v in params.items())
    response = cloud.request("GET", path, token=token)
    assert response.status == 200, response.text
    return dict(response.json())


def names(results: dict[str, Any]) -> list[str]:
    return [item["name"] for item in results["items"]]


@pytest.fixture
def shop(
    cloud: LocalCloud, actor: Callable[..., Actor], category: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """Audio > Headphones, and Kitchen; five products from two sellers."""
    audio = category("Audio")
    headphones = category("Headphones", audio["category_id"])
    kitchen = category("Kitchen")
    sellers = [actor("seller"), actor("seller")]
    catalogue = [
        ("Aurora X2 Wireless Earbuds", "Noise-cancelling earbuds.", 7999, headphones, 0),
        ("Nimbus Over-Ear Headphones", "Wireless comfort for long flights.", 14999, headphones, 1),
        ("Tempo Bookshelf Speaker", "A warm speaker for small rooms.", 4999, audio, 0),
        ("Ember Espresso Machine", "Fifteen bar pump, steam wand.", 32999, kitchen, 1),
        ("Ember Milk Frother", "Wireless milk frother.", 1999, kitchen, 1),
    ]
    products = {
        name: list_product(
            cloud,
            sellers[seller],
            where["category_id"],
            available=5,
            name=name,
            description=description,
            price={"amount": price, "currency": "USD"},
        )
        for name, description, price, where, seller in catalogue
    }
    return {
        "products": products,
        "sellers": sellers,
        "audio": audio,
        "headphones": headphones,
        "kitchen": kitchen,
    }


def test_a_product_is_found_as_soon_as_it_is_listed(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    results = search(cloud, "espresso")
    assert names(results) == ["Ember Espresso Machine"]
    assert results["total"] == 1
    assert results["items"][0]["price"] == {"amount": 32999, "currency": "USD"}


def test_a_word_misspelt_by_one_or_two_letters_still_finds_the_product(
    cloud: LocalCloud, shop: dict[str, Any]
) -> None:
    assert "Ember Espresso Machine" in names(search(cloud, "espreso"))
    assert "Nimbus Over-Ear Headphones" in names(search(cloud, "hedphnes"))


def test_the_name_counts_more_than_the_description(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    found = names(search(cloud, "wireless"))
    assert found[0] == "Aurora X2 Wireless Earbuds"
    assert set(found) >= {"Nimbus Over-Ear Headphones", "Ember Milk Frother"}


def test_a_category_filter_takes_its_sub_categories_too(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    audio = search(cloud, category=shop["audio"]["category_id"], sort="price_asc")
    assert names(audio) == [
        "Tempo Bookshelf Speaker",
        "Aurora X2 Wireless Earbuds",
        "Nimbus Over-Ear Headphones",
    ]


def test_price_bounds_are_inclusive_and_sorts_order_by_price(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    cheap_first = search(cloud, min_price=1999, max_price=7999, sort="price_asc")
    assert names(cheap_first) == [
        "Ember Milk Frother",
        "Tempo Bookshelf Speaker",
        "Aurora X2 Wireless Earbuds",
    ]
    dear_first = search(cloud, min_price=1999, max_price=7999, sort="price_desc")
    assert names(dear_first) == list(reversed(names(cheap_first)))


def test_facets_count_categories_price_bands_and_ratings_over_every_match(
    cloud: LocalCloud, shop: dict[str, Any]
) -> None:
    facets = search(cloud, limit=1)["facets"]
    by_category = {f["name"]: f["count"] for f in facets["categories"]}
    assert by_category == {"Headphones": 2, "Kitchen": 2, "Audio": 1}
    bands = {f["key"]: f["count"] for f in facets["price_bands"]}
    assert bands == {
        "under_25": 1,
        "25_to_50": 1,
        "50_to_100": 1,
        "100_to_200": 1,
        "200_to_500": 1,
        "500_and_up": 0,
    }
    assert [f["min_rating"] for f in facets["ratings"]] == [4, 3, 2, 1]
    assert all(f["count"] == 0 for f in facets["ratings"])  # nobody has rated anything yet


def test_pages_follow_the_cursor_without_repeats_and_end_without_one(
    cloud: LocalCloud, shop: dict[str, Any]
) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "sort": "newest"}
        if cursor:
            params["cursor"] = cursor
        page = search(cloud, **params)
        seen.extend(names(page))
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(shop["products"])
    assert len(seen) == len(set(seen))


def test_archived_products_drop_out_of_search(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    frother = shop["products"]["Ember Milk Frother"]
    archived = cloud.request(
        "DELETE", f"/v1/products/{frother['product_id']}", token=shop["sellers"][1].token
    )
    assert archived.status == 204
    assert names(search(cloud, "frother")) == []
    assert names(search(cloud, "ember")) == ["Ember Espresso Machine"]


def test_selling_out_and_restocking_moves_a_product_in_and_out_of_in_stock_results(
    cloud: LocalCloud, shop: dict[str, Any]
) -> None:
    speaker = shop["products"]["Tempo Bookshelf Speaker"]
    seller = shop["sellers"][0]
    path = f"/v1/inventory/{speaker['product_id']}"
    assert cloud.request("PUT", path, json={"available": 0}, token=seller.token).status == 200
    assert names(search(cloud, "speaker", in_stock="true")) == []
    assert names(search(cloud, "speaker")) == ["Tempo Bookshelf Speaker"]
    assert cloud.request("PUT", path, json={"available": 3}, token=seller.token).status == 200
    assert names(search(cloud, "speaker", in_stock="true")) == ["Tempo Bookshelf Speaker"]


def test_a_renamed_product_is_found_by_its_new_name_only(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    speaker = shop["products"]["Tempo Bookshelf Speaker"]
    renamed = cloud.request(
        "PATCH",
        f"/v1/products/{speaker['product_id']}",
        json={"name": "Cadence Shelf Monitor", "description": "Studio sound."},
        token=shop["sellers"][0].token,
    )
    assert renamed.status == 200, renamed.text
    assert names(search(cloud, "cadence")) == ["Cadence Shelf Monitor"]
    assert names(search(cloud, "tempo")) == []


def test_suggestions_complete_what_was_typed(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    response = cloud.request("GET", "/v1/search/suggest?q=emb")
    assert response.status == 200, response.text
    assert {s["text"] for s in response.json()["items"]} == {"Ember Espresso Machine", "Ember Milk Frother"}
    assert cloud.request("GET", "/v1/search/suggest?q=").json() == {"items": []}


def test_results_may_be_cached_briefly_and_revalidated(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    first = cloud.request("GET", "/v1/search?q=ember")
    assert first.headers["cache-control"] == "public, max-age=60"
    again = cloud.request("GET", "/v1/search?q=ember", headers={"if-none-match": first.headers["etag"]})
    assert again.status == 304
    assert again.text == ""


@pytest.mark.parametrize(
    "query",
    ['"', "((", "a:b OR NOT c", "***", "🎧🎧", "Robert'); DROP TABLE products;--", "наушники", "  ", "-+~^"],
)
def test_odd_queries_are_answered_calmly(cloud: LocalCloud, shop: dict[str, Any], query: str) -> None:
    response = cloud.request("GET", "/v1/search?q=" + quote(query))
    assert response.status == 200, response.text


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/search?q=" + "a" * 201, 422, "validation_failed"),
        ("/v1/search?limit=51", 422, "validation_failed"),
        ("/v1/search?sort=popularity", 422, "validation_failed"),
        ("/v1/search?min_price=-1", 422, "validation_failed"),
        ("/v1/search?min_price=500&max_price=100", 422, "invalid_price_range"),
        ("/v1/search?cursor=not-a-cursor", 422, "invalid_cursor"),
        ("/v1/search?category=not-a-ulid", 422, "validation_failed"),
        ("/v1/search/suggest?q=" + "a" * 101, 422, "validation_failed"),
    ],
)
def test_bad_search_requests_are_clear_4xx_problems(
    cloud: LocalCloud, path: str, status: int, code: str
) -> None:
    response = cloud.request("GET", path)
    assert response.status == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_a_cursor_made_for_one_sort_is_refused_for_another(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    cursor = search(cloud, limit=2, sort="price_asc")["next_cursor"]
    response = cloud.request("GET", f"/v1/search?limit=2&sort=newest&cursor={quote(cursor)}")
    assert response.status == 422
    assert response.json()["code"] == "invalid_cursor"


def test_a_bad_token_on_search_is_a_401_not_an_anonymous_search(cloud: LocalCloud) -> None:
    response = cloud.request("GET", "/v1/search?q=x", headers={"authorization": "Bearer not.a.token"})
    assert response.status == 401
    assert response.json()["code"] == "invalid_token"


def test_the_reindex_job_rebuilds_a_lost_index(cloud: LocalCloud, shop: dict[str, Any]) -> None:
    from commerce import bootstrap

    bootstrap.search_backend().recreate()
    assert search(cloud)["total"] == 0
    result = cloud.invoke("JobsFunction", {"job": "reindex_search"})
    assert result == {"job": "reindex_search", "indexed": 5}
    assert search(cloud)["total"] == 5


def test_the_indexer_reports_only_the_records_it_could_not_handle(
    cloud: LocalCloud, shop: dict[str, Any]
) -> None:
    from commerce import bootstrap

    espresso = shop["products"]["Ember Espresso Machine"]
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.ref("ProductsTable"), Key={"product_id": {"S": espresso["product_id"]}}
    )["Item"]
    bootstrap.search_backend().recreate()
    good = {
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"product_id": item["product_id"]}, "NewImage": item, "SequenceNumber": "101"},
    }
    keyless = {"eventName": "MODIFY", "dynamodb": {"Keys": {}, "NewImage": item, "SequenceNumber": "102"}}
    garbled = {
        "eventName": "MODIFY",
        "dynamodb": {
            "Keys": {"product_id": {"S": "01J0000000000000000000000B"}},
            "NewImage": {"name": {"S": "?"}},
            "SequenceNumber": "103",
        },
    }
    answer = cloud.invoke("SearchIndexerFunction", {"Records": [good, keyless, garbled]})
    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == ["102", "103"]
    assert names(search(cloud, "espresso")) == ["Ember Espresso Machine"]
