"""Product reviews over HTTP: only customers who received a product review it, once; the product's
rating moves in the same transaction as the review, however many arrive at once; the list is
public, newest first, paged and cacheable; the search index hears of the new rating by itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository
from commerce.adapters.dynamodb_reviews import DynamoDBReviewRepository
from commerce.ids import new_id
from commerce.reviews.model import Review
from commerce.reviews.ports import ProductNotReviewable
from localcloud import LocalCloud
from support import Actor, checkout, deliver, fill_cart, received, settled

GOOD = {"rating": 4, "title": "Great sound", "text": "The battery lasts a long-haul flight."}


def reviews_path(product_id: str) -> str:
    return f"/v1/products/{product_id}/reviews"


def post_review(cloud: LocalCloud, customer: Actor, product_id: str, **body: Any) -> Any:
    return cloud.request("POST", reviews_path(product_id), json={**GOOD, **body}, token=customer.token)


def stored_rating(cloud: LocalCloud, product_id: str) -> tuple[int, int, int]:
    """(rating_count, rating_total, version) as the products table holds them."""
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.ref("ProductsTable"), Key={"product_id": {"S": product_id}}, ConsistentRead=True
    )["Item"]
    return (
        int(item.get("rating_count", {"N": "0"})["N"]),
        int(item.get("rating_total", {"N": "0"})["N"]),
        int(item["version"]["N"]),
    )


def stored_reviews(cloud: LocalCloud, product_id: str) -> list[dict[str, Any]]:
    return list(
        cloud.client("dynamodb").query(
            TableName=cloud.ref("ReviewsTable"),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"PRODUCT#{product_id}"}},
            ConsistentRead=True,
        )["Items"]
    )


def product_as_shown(cloud: LocalCloud, product_id: str) -> Any:
    from commerce import bootstrap

    bootstrap.catalog_service().forget_cached()  # as if the 30-second hot cache had expired
    return cloud.request("GET", f"/v1/products/{product_id}")


@pytest.fixture
def shop(actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    seller = actor("seller")
    return {"seller": seller, "product": listed(available=50, seller=seller)}


# ---------------------------------------------------------------------- writing a review
def test_a_customer_who_received_the_product_reviews_it_and_its_rating_counts_the_review_at_once(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    customer, product_id = actor("customer"), shop["product"]["product_id"]
    received(cloud, customer, shop["seller"], (product_id, 1))
    before = product_as_shown(cloud, product_id)

    response = post_review(cloud, customer, product_id, rating=4)

    assert response.status == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    review = response.json()
    assert review["product_id"] == product_id
    assert (review["rating"], review["title"], review["text"]) == (4, GOOD["title"], GOOD["text"])
    assert review["verified_purchase"] is True
    assert review["reviewer_name"] == "Verified buyer"  # Cognito access tokens carry no name
    assert customer.user_id not in response.text  # reviews are public: no reviewer ids
    after = product_as_shown(cloud, product_id)
    assert after.json()["rating"] == {"average": 4.0, "count": 1}
    assert after.json()["version"] == before.json()["version"]  # sellers' pending edits still apply
    assert after.headers["etag"] != before.headers["etag"]
    assert stored_rating(cloud, product_id)[:2] == (1, 4)
    listed_reviews = cloud.request("GET", reviews_path(product_id)).json()
    assert [r["review_id"] for r in listed_reviews["items"]] == [review["review_id"]]
    assert listed_reviews["rating"] == {"average": 4.0, "count": 1}


def test_a_second_review_of_the_same_product_by_the_same_customer_is_a_conflict_and_counts_nothing(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    customer, product_id = actor("customer"), shop["product"]["product_id"]
    received(cloud, customer, shop["seller"], (product_id, 1))
    received(cloud, customer, shop["seller"], (product_id, 2))  # bought twice: still one review
    assert post_review(cloud, customer, product_id, rating=5).status == 201

    again = post_review(cloud, customer, product_id, rating=1, text="Changed my mind.")

    assert (again.status, again.json()["code"]) == (409, "review_exists")
    assert again.headers["content-type"] == "application/problem+json"
    assert stored_rating(cloud, product_id)[:2] == (1, 5)
    assert [int(r["rating"]["N"]) for r in stored_reviews(cloud, product_id)] == [5]


def test_only_a_customer_whose_part_holding_the_product_was_delivered_may_review_it(
    cloud: LocalCloud,
    actor: Callable[..., Actor],
    listed: Callable[..., dict[str, Any]],
    shop: dict[str, Any],
) -> None:
    product_id = shop["product"]["product_id"]
    other_seller = actor("seller")
    other_product = listed(available=10, seller=other_seller, name="Walnut Headphone Stand")
    never_bought, not_yet_delivered, other_part_delivered = (
        actor("customer"),
        actor("customer"),
        actor("customer"),
    )
    fill_cart(cloud, not_yet_delivered, (product_id, 1))
    order_id = checkout(cloud, not_yet_delivered).json()["order_id"]
    assert settled(cloud, not_yet_delivered, order_id)["status"] == "confirmed"
    fill_cart(cloud, other_part_delivered, (product_id, 1), (other_product["product_id"], 1))
    both_id = checkout(cloud, other_part_delivered).json()["order_id"]
    assert settled(cloud, other_part_delivered, both_id)["status"] == "confirmed"
    deliver(cloud, other_seller, both_id)  # the stand arrived; the earbuds are still with their seller

    answers = [
        post_review(cloud, customer, product_id)
        for customer in (never_bought, not_yet_delivered, other_part_delivered)
    ]

    assert [(a.status, a.json()["code"]) for a in answers] == [(403, "review_requires_delivery")] * 3
    assert post_review(cloud, other_part_delivered, other_product["product_id"]).status == 201
    assert stored_reviews(cloud, product_id) == []
    assert stored_rating(cloud, product_id)[:2] == (0, 0)


def test_only_signed_in_customers_write_reviews(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    path = reviews_path(shop["product"]["product_id"])

    anonymous = cloud.request("POST", path, json=GOOD)
    seller = cloud.request("POST", path, json=GOOD, token=shop["seller"].token)

    assert anonymous.status == 401
    assert (seller.status, seller.json()["code"]) == (403, "role_required")


def test_an_unknown_or_archived_product_has_no_reviews_to_read_or_write(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    customer, seller, product_id = actor("customer"), shop["seller"], shop["product"]["product_id"]
    received(cloud, customer, seller, (product_id, 1))
    unknown = new_id()
    assert cloud.request("DELETE", f"/v1/products/{product_id}", token=seller.token).status == 204

    answers = [
        cloud.request("GET", reviews_path(unknown)),
        post_review(cloud, customer, unknown),
        cloud.request("GET", reviews_path(product_id)),
        post_review(cloud, customer, product_id),
    ]

    assert [(a.status, a.json()["code"]) for a in answers] == [(404, "product_not_found")] * 4
    assert stored_reviews(cloud, product_id) == []
    assert stored_rating(cloud, product_id)[:2] == (0, 0)


def test_a_product_archived_after_the_checks_is_not_reviewed_and_nothing_is_written(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    """The transaction's own condition on the product, not the read before it, decides."""
    product_id = shop["product"]["product_id"]
    reviews = DynamoDBReviewRepository(
        cloud.client("dynamodb"), cloud.ref("ReviewsTable"), cloud.ref("ProductsTable")
    )
    assert cloud.request("DELETE", f"/v1/products/{product_id}", token=shop["seller"].token).status == 204
    review = Review(new_id(), product_id, "customer-1", "Ada", 5, "Lovely.", datetime.now(UTC))

    with pytest.raises(ProductNotReviewable):
        reviews.add(review)
    assert stored_reviews(cloud, product_id) == []
    assert stored_rating(cloud, product_id)[:2] == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 0}, "body.rating"),
        ({"rating": 6}, "body.rating"),
        ({"rating": 4.5}, "body.rating"),
        ({"rating": "5"}, "body.rating"),
        ({"rating": True}, "body.rating"),
        ({"text": "   "}, "body.text"),
        ({"text": "x" * 5001}, "body.text"),
        ({"title": "t" * 121}, "body.title"),
        ({"helpful_votes": 1000}, "body.helpful_votes"),
    ],
    ids=[
        "zero-stars",
        "six-stars",
        "half-star",
        "string",
        "boolean",
        "blank-text",
        "long-text",
        "long-title",
        "unknown-field",
    ],
)
def test_a_review_out_of_bounds_is_refused_naming_the_field_and_nothing_is_written(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    customer, product_id = actor("customer"), shop["product"]["product_id"]

    response = post_review(cloud, customer, product_id, **body)

    assert (response.status, response.json()["code"]) == (422, "validation_failed")
    assert field in {error["field"] for error in response.json()["errors"]}
    assert stored_reviews(cloud, product_id) == []


def test_a_review_that_is_not_json_or_has_no_text_is_refused(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    customer, path = actor("customer"), reviews_path(shop["product"]["product_id"])

    garbled = cloud.request(
        "POST", path, body="{rating: 5", headers={"content-type": "application/json"}, token=customer.token
    )
    textless = cloud.request("POST", path, json={"rating": 5}, token=customer.token)
    bad_id = cloud.request("POST", reviews_path("not-a-product"), json=GOOD, token=customer.token)

    assert (garbled.status, garbled.json()["code"]) == (400, "malformed_json")
    assert (textless.status, textless.json()["code"]) == (422, "validation_failed")
    assert bad_id.status == 422


def test_an_edge_of_bounds_review_is_kept_as_written_and_a_blank_title_is_no_title(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    first, second = actor("customer"), actor("customer")
    product_id = shop["product"]["product_id"]
    received(cloud, first, shop["seller"], (product_id, 1))
    received(cloud, second, shop["seller"], (product_id, 1))

    longest = post_review(cloud, first, product_id, rating=1, title="t" * 120, text="ü" * 5000)
    untitled = post_review(cloud, second, product_id, rating=5, title="   ", text="  Short.  ")

    assert longest.status == 201, longest.text
    assert (longest.json()["title"], longest.json()["text"]) == ("t" * 120, "ü" * 5000)
    assert untitled.status == 201, untitled.text
    assert (untitled.json()["title"], untitled.json()["text"]) == (None, "Short.")
    assert stored_rating(cloud, product_id)[:2] == (2, 6)


def test_the_reviewers_first_name_is_shown_when_their_token_carries_one(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    """A pre-token-generation trigger may add names to access tokens; only the first name is public."""
    customer, product_id = actor("customer"), shop["product"]["product_id"]
    received(cloud, customer, shop["seller"], (product_id, 1))
    event = {
        "version": "2.0",
        "routeKey": "POST /v1/products/{product_id}/reviews",
        "rawPath": reviews_path(product_id),
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "127.0.0.1:3000"},
        "pathParameters": {"product_id": product_id},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "authorizer": {
                "jwt": {
                    "claims": {
                        "sub": customer.user_id,
                        "cognito:groups": "[customer]",
                        "name": "Ada King Lovelace",
                    },
                    "scopes": None,
                }
            },
            "http": {"method": "POST", "path": reviews_path(product_id), "protocol": "HTTP/1.1"},
            "requestId": "review-with-a-name",
            "routeKey": "POST /v1/products/{product_id}/reviews",
            "stage": "$default",
        },
        "body": json.dumps(GOOD),
        "isBase64Encoded": False,
    }

    answer = cloud.invoke("ReviewsFunction", event)

    assert answer["statusCode"] == 201, answer
    assert json.loads(answer["body"])["reviewer_name"] == "Ada"
    listed_reviews = cloud.request("GET", reviews_path(product_id)).json()["items"]
    assert [r["reviewer_name"] for r in listed_reviews] == ["Ada"]
    assert "Lovelace" not in json.dumps(listed_reviews)


# ---------------------------------------------------------------------- reading reviews
def _write_directly(cloud: LocalCloud, product_id: str, count: int) -> list[Review]:
    """``count`` reviews by different customers, a second apart, oldest first (straight through the
    repository: the delivery check is not what these tests are about)."""
    reviews = DynamoDBReviewRepository(
        cloud.client("dynamodb"), cloud.ref("ReviewsTable"), cloud.ref("ProductsTable")
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    written = []
    for index in range(count):
        review = Review(
            new_id(),
            product_id,
            f"customer-{index}",
            f"Reader{index}",
            index % 5 + 1,
            f"Review number {index}.",
            start + timedelta(seconds=index),
            title=None if index % 2 else f"Title {index}",
        )
        reviews.add(review)
        written.append(review)
    return written


def test_reviews_are_listed_newest_first_a_page_at_a_time_to_the_last(
    cloud: LocalCloud, shop: dict[str, Any]
) -> None:
    product_id = shop["product"]["product_id"]
    written = _write_directly(cloud, product_id, 7)

    seen, pages, cursor = [], [], None
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = cloud.request("GET", reviews_path(product_id) + query)
        assert page.status == 200, page.text
        pages.append(len(page.json()["items"]))
        seen.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert pages == [3, 3, 1]
    assert [r["review_id"] for r in seen] == [r.review_id for r in reversed(written)]
    assert seen[0]["text"] == "Review number 6." and seen[0]["title"] == "Title 6"
    assert seen[1]["title"] is None
    assert page.json()["rating"] == {"average": round(sum(r.rating for r in written) / 7, 2), "count": 7}


def test_a_product_without_reviews_lists_none_and_has_no_average(
    cloud: LocalCloud, shop: dict[str, Any]
) -> None:
    response = cloud.request("GET", reviews_path(shop["product"]["product_id"]))

    assert response.status == 200
    assert response.json() == {"items": [], "next_cursor": None, "rating": {"average": None, "count": 0}}


@pytest.mark.parametrize(
    "query",
    ["?limit=0", "?limit=51", "?limit=ten", "?cursor=not-ours", "?cursor=eyJhZnRlciI6MX0"],
    ids=["zero", "above-50", "not-a-number", "garbled-cursor", "someone-elses-cursor"],
)
def test_a_bad_page_request_is_refused_not_guessed(
    cloud: LocalCloud, shop: dict[str, Any], query: str
) -> None:
    response = cloud.request("GET", reviews_path(shop["product"]["product_id"]) + query)

    assert response.status == 422, response.text
    assert response.json()["code"] in {"validation_failed", "invalid_cursor"}


def test_the_list_is_public_cacheable_for_five_minutes_and_a_new_review_changes_its_etag(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    customer, product_id = actor("customer"), shop["product"]["product_id"]
    received(cloud, customer, shop["seller"], (product_id, 1))
    first = cloud.request("GET", reviews_path(product_id))
    assert first.headers["cache-control"] == "public, max-age=300"

    unchanged = cloud.request(
        "GET", reviews_path(product_id), headers={"if-none-match": first.headers["etag"]}
    )
    assert post_review(cloud, customer, product_id).status == 201
    changed = cloud.request("GET", reviews_path(product_id), headers={"if-none-match": first.headers["etag"]})

    assert (unchanged.status, unchanged.body) == (304, b"")
    assert changed.status == 200
    assert changed.headers["etag"] != first.headers["etag"]
    assert len(changed.json()["items"]) == 1


# ---------------------------------------------------------------------- races
def test_ten_concurrent_first_reviews_by_one_customer_leave_exactly_one_counted_once(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    customer, product_id = actor("customer"), shop["product"]["product_id"]
    received(cloud, customer, shop["seller"], (product_id, 1))

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(
            pool.map(lambda n: post_review(cloud, customer, product_id, rating=n % 5 + 1), range(10))
        )

    statuses = sorted(a.status for a in answers)
    assert statuses == [201] + [409] * 9
    assert {a.json()["code"] for a in answers if a.status == 409} == {"review_exists"}
    winner = next(a.json() for a in answers if a.status == 201)
    assert stored_rating(cloud, product_id)[:2] == (1, winner["rating"])
    assert [r["review_id"]["S"] for r in stored_reviews(cloud, product_id)] == [winner["review_id"]]


def test_ten_customers_reviewing_one_product_at_once_are_all_counted(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    product_id = shop["product"]["product_id"]
    customers = [actor("customer") for _ in range(10)]
    for customer in customers:  # one after the other: the race under test is the reviews' own
        received(cloud, customer, shop["seller"], (product_id, 1))
    ratings = [index % 5 + 1 for index in range(10)]

    def review(index: int) -> Any:
        return post_review(cloud, customers[index], product_id, rating=ratings[index])

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(review, range(10)))

    assert [a.status for a in answers] == [201] * 10, [a.text for a in answers if a.status != 201]
    count, total, _ = stored_rating(cloud, product_id)
    assert (count, total) == (10, sum(ratings))
    assert len(stored_reviews(cloud, product_id)) == 10
    shown = cloud.request("GET", reviews_path(product_id) + "?limit=50").json()
    assert shown["rating"] == {"average": round(sum(ratings) / 10, 2), "count": 10}
    assert len(shown["items"]) == 10


# ---------------------------------------------------------------------- elsewhere
def test_search_hears_of_the_new_rating_from_the_products_stream(
    cloud: LocalCloud, actor: Callable[..., Actor], shop: dict[str, Any]
) -> None:
    customer, product_id = actor("customer"), shop["product"]["product_id"]
    received(cloud, customer, shop["seller"], (product_id, 1))

    def rated_four_or_more() -> int:
        facets = cloud.request("GET", "/v1/search?q=earbuds").json()["facets"]["ratings"]
        return int(next(f["count"] for f in facets if f["min_rating"] == 4))

    assert rated_four_or_more() == 0
    assert post_review(cloud, customer, product_id, rating=5).status == 201

    assert rated_four_or_more() == 1


def test_a_sellers_edit_never_undoes_a_review_counted_since_the_product_was_read(
    cloud: LocalCloud, shop: dict[str, Any]
) -> None:
    product_id = shop["product"]["product_id"]
    products = DynamoDBProductRepository(cloud.client("dynamodb"), cloud.ref("ProductsTable"))
    read = products.get(product_id)
    assert read is not None

    _write_directly(cloud, product_id, 1)
    products.save(read.with_changes({"name": "Aurora X3"}, datetime.now(UTC)), expected_version=read.version)

    assert stored_rating(cloud, product_id)[:2] == (1, 1)
