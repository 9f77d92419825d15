"""How the DynamoDB review repository reads DynamoDB's answers to its one transaction: which
condition failed, when to try the same write again (another review of the product held it), and
when to give up. A scripted client stands in at the SDK boundary; the tables themselves are
exercised in tests/integration/test_reviews_api.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from commerce.adapters.dynamodb_reviews import MAX_ATTEMPTS, DynamoDBReviewRepository
from commerce.errors import InvalidInput
from commerce.ids import new_id
from commerce.reviews.model import Review
from commerce.reviews.ports import AlreadyReviewed, ProductNotReviewable, ReviewsUnavailable

REVIEW = Review(new_id(), new_id(), "customer-1", "Ada", 4, "Lovely.", datetime(2026, 3, 1, tzinfo=UTC))


def cancelled(*reasons: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": reason} for reason in reasons],
        },
        "TransactWriteItems",
    )


def failed(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "TransactWriteItems")


class ScriptedClient:
    """Answers each ``transact_write_items`` with the next scripted error, then succeeds."""

    def __init__(self, *errors: ClientError) -> None:
        self.errors = list(errors)
        self.calls: list[list[dict[str, Any]]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append(TransactItems)
        if self.errors:
            raise self.errors.pop(0)
        return {}


def repository(client: ScriptedClient, pauses: list[float] | None = None) -> DynamoDBReviewRepository:
    sleep = (pauses if pauses is not None else []).append
    return DynamoDBReviewRepository(client, "reviews", "products", sleep=sleep)


def test_one_transaction_puts_the_review_if_absent_and_adds_to_an_active_products_rating() -> None:
    client = ScriptedClient()

    repository(client).add(REVIEW)

    [(put, update)] = [tuple(call) for call in client.calls]
    assert put["Put"]["TableName"] == "reviews"
    assert put["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    item = put["Put"]["Item"]
    assert (item["pk"], item["sk"]) == ({"S": f"PRODUCT#{REVIEW.product_id}"}, {"S": "CUSTOMER#customer-1"})
    assert item["created_key"] == {"S": f"2026-03-01T00:00:00.000Z#{REVIEW.review_id}"}
    assert "title" not in item  # no title: no attribute
    assert update["Update"]["TableName"] == "products"
    assert update["Update"]["UpdateExpression"] == "ADD rating_count :one, rating_total :rating"
    assert "version" not in update["Update"]["UpdateExpression"]
    assert update["Update"]["ExpressionAttributeValues"][":rating"] == {"N": "4"}


def test_a_failed_condition_on_the_review_means_the_customer_already_reviewed_it() -> None:
    with pytest.raises(AlreadyReviewed):
        repository(ScriptedClient(cancelled("ConditionalCheckFailed", "None"))).add(REVIEW)


def test_a_failed_condition_on_the_product_means_it_is_gone_or_archived() -> None:
    with pytest.raises(ProductNotReviewable):
        repository(ScriptedClient(cancelled("None", "ConditionalCheckFailed"))).add(REVIEW)


def test_a_transaction_that_lost_the_product_item_to_another_review_is_tried_again_after_a_pause() -> None:
    client = ScriptedClient(
        cancelled("None", "TransactionConflict"), cancelled("TransactionConflict", "None")
    )
    pauses: list[float] = []

    repository(client, pauses).add(REVIEW)

    assert len(client.calls) == 3
    assert len(pauses) == 2 and all(pause >= 0 for pause in pauses)


def test_endless_contention_gives_up_as_unavailable_after_a_bounded_number_of_tries() -> None:
    client = ScriptedClient(*[cancelled("None", "TransactionConflict")] * (MAX_ATTEMPTS + 1))

    with pytest.raises(ReviewsUnavailable) as unavailable:
        repository(client).add(REVIEW)

    assert len(client.calls) == MAX_ATTEMPTS
    assert unavailable.value.code == "reviews_unavailable"


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError", "RequestLimitExceeded"])
def test_throttling_and_outages_are_unavailable_not_a_crash(code: str) -> None:
    with pytest.raises(ReviewsUnavailable):
        repository(ScriptedClient(failed(code))).add(REVIEW)


def test_a_cancellation_for_another_reason_is_unavailable_and_not_retried() -> None:
    client = ScriptedClient(cancelled("None", "ValidationError"))

    with pytest.raises(ReviewsUnavailable):
        repository(client).add(REVIEW)

    assert len(client.calls) == 1


def test_any_other_error_is_a_bug_and_surfaces() -> None:
    with pytest.raises(ClientError):
        repository(ScriptedClient(failed("ValidationException"))).add(REVIEW)


@pytest.mark.parametrize(
    "cursor",
    ["not-ours", "eyJiZWZvcmUiOjF9", "eyJiZWZvcmUiOiJ4In0", "eyJhZnRlciI6IngifQ"],
    ids=["garbled", "number", "not-a-created-key", "other-key"],
)
def test_a_cursor_this_repository_did_not_make_is_refused_before_any_read(cursor: str) -> None:
    client = ScriptedClient()

    with pytest.raises(InvalidInput) as refused:
        repository(client).newest(REVIEW.product_id, cursor, 10)

    assert refused.value.code == "invalid_cursor"
