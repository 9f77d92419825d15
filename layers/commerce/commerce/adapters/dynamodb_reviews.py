"""Reviews in ``REVIEWS_TABLE``, each written in one transaction with the product's rating summary.

| pk                  | sk                   | what                                                 |
|---------------------|----------------------|------------------------------------------------------|
| PRODUCT#<product>   | CUSTOMER#<customer>  | the customer's one review of the product             |

The key makes "one review per customer and product" a put-if-absent. Each review also carries
``product_id`` and ``created_key`` (``<created_at>#<review ULID>``), the keys of the
``by_product_newest`` index: a product's reviews newest first are one Query, and a page ends at
a ``created_key`` that is unique, so the next page is ``created_key < :last`` and the cursor never
carries a reviewer's id.

Writing a review is ONE ``TransactWriteItems``: the review, put if absent, and an ``ADD`` of 1 to
the product's ``rating_count`` and of the rating to its ``rating_total``, on condition the product
exists and is active. The product's ``version`` is left alone (it guards sellers' edits), so a
review never makes a seller's pending edit fail.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import (
    decode_cursor,
    encode_cursor,
    from_item,
    invalid_cursor,
    outage_raises,
    to_item,
    transaction_cancel_reasons,
)
from commerce.clock import isoformat
from commerce.reviews.model import Review
from commerce.reviews.ports import (
    AlreadyReviewed,
    ProductNotReviewable,
    ReviewPage,
    ReviewRepository,
    ReviewsUnavailable,
)

__all__ = ["NEWEST_INDEX", "DynamoDBReviewRepository"]

NEWEST_INDEX = "by_product_newest"

#: DynamoDB errors that mean "not now", not "never".

#: A transaction cancelled because another one held the product item (many reviews of one product
#: at once): nothing was written, and the same write is simply tried again.
_CONTENDED = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})

#: Tries of one write under contention, with jittered exponential backoff from ``_BACKOFF_SECONDS``.
MAX_ATTEMPTS = 6
_BACKOFF_SECONDS = 0.02


def _pk(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def _sk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def _outage_is_unavailable() -> AbstractContextManager[None]:
    return outage_raises(lambda: ReviewsUnavailable("Reviews are unavailable; try again."))


def _review_item(review: Review) -> dict[str, Any]:
    return to_item(
        {
            "pk": _pk(review.product_id),
            "sk": _sk(review.customer_id),
            "product_id": review.product_id,
            "created_key": review.created_key,
            "review_id": review.review_id,
            "customer_id": review.customer_id,
            "reviewer_name": review.reviewer_name,
            "rating": review.rating,
            "title": review.title,
            "text": review.text,
            "created_at": isoformat(review.created_at),
            "verified_purchase": review.verified_purchase,
        }
    )


def _review(item: dict[str, Any]) -> Review:
    values = from_item(item)
    return Review(
        review_id=values["review_id"],
        product_id=values["product_id"],
        customer_id=values["customer_id"],
        reviewer_name=values["reviewer_name"],
        rating=int(values["rating"]),
        title=values.get("title"),
        text=values["text"],
        created_at=datetime.fromisoformat(values["created_at"]),
        verified_purchase=bool(values.get("verified_purchase", True)),
    )


class DynamoDBReviewRepository(ReviewRepository):
    def __init__(
        self,
        client: Any,
        table_name: str,
        products_table: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._products = products_table
        self._sleep = sleep

    def add(self, review: Review) -> None:
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _review_item(review),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._products,
                    "Key": to_item({"product_id": review.product_id}),
                    "UpdateExpression": "ADD rating_count :one, rating_total :rating",
                    "ConditionExpression": "attribute_exists(product_id) AND #status = :active",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item(
                        {":one": 1, ":rating": review.rating, ":active": "active"}
                    ),
                }
            },
        ]
        for attempt in range(MAX_ATTEMPTS):
            try:
                with _outage_is_unavailable():
                    self._client.transact_write_items(TransactItems=items)
                return
            except ClientError as error:
                reasons = transaction_cancel_reasons(error)
                if not reasons:
                    raise
                if reasons[0] == "ConditionalCheckFailed":
                    raise AlreadyReviewed(review.review_id) from None
                if reasons[1:2] == ["ConditionalCheckFailed"]:
                    raise ProductNotReviewable(review.product_id) from None
                if not _CONTENDED.intersection(reasons):
                    raise ReviewsUnavailable(
                        f"The review could not be written ({', '.join(reasons)}); try again."
                    ) from None
            if attempt + 1 < MAX_ATTEMPTS:
                self._sleep(random.uniform(0, _BACKOFF_SECONDS * 2**attempt))  # noqa: S311 - jitter
        raise ReviewsUnavailable("Too many reviews of this product at once; try again.")

    def newest(self, product_id: str, cursor: str | None, limit: int) -> ReviewPage:
        condition = "product_id = :product"
        values: dict[str, Any] = {":product": product_id}
        if cursor is not None:
            before = decode_cursor(cursor, {"before"}).get("before")
            if not isinstance(before, str) or not Review.is_created_key(before):
                raise invalid_cursor()
            condition += " AND created_key < :before"
            values[":before"] = before
        with _outage_is_unavailable():
            response = self._client.query(
                TableName=self._table,
                IndexName=NEWEST_INDEX,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=to_item(values),
                ScanIndexForward=False,
                # One more than asked, so the last page says it is the last.
                Limit=limit + 1,
            )
        reviews = [_review(item) for item in response.get("Items", [])]
        if len(reviews) <= limit:
            return ReviewPage(reviews, None)
        page = reviews[:limit]
        return ReviewPage(page, encode_cursor({"before": page[-1].created_key}))
