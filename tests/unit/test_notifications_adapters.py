"""The notifications' adapters: markers and watches on a moto DynamoDB table (with the local cloud's lock,
so races are real), and SES/SNS at the SDK boundary (botocore's Stubber) and on moto (read through the
local outbox)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from commerce.adapters.aws_notifier import SesSnsNotifier
from commerce.adapters.dynamodb_notifications import DynamoDBDeliveryLedger, DynamoDBWatchRepository
from commerce.errors import DependencyFailure, InvalidInput
from commerce.notifications.model import MARKER_TTL, Channel, Delivery, Watch
from commerce.notifications.ports import Claim, Refusal
from localcloud import outbox
from moto_table import REGION, dynamodb_table

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=90)
EMAIL = Delivery("OrderConfirmed#01JD3Q8Z6V8Y4WJ1M5T9K2C7RA", "c-1", Channel.EMAIL)
PRODUCT = "01JD3Q8Z6V8Y4WJ1M5T9K2C7RB"


@pytest.fixture
def table() -> Iterator[tuple[Any, str]]:
    with dynamodb_table("notifications") as created:
        yield created


@pytest.fixture
def ledger(table: tuple[Any, str]) -> DynamoDBDeliveryLedger:
    return DynamoDBDeliveryLedger(*table)


@pytest.fixture
def watches(table: tuple[Any, str]) -> DynamoDBWatchRepository:
    return DynamoDBWatchRepository(*table)


def marker(table: tuple[Any, str], delivery: Delivery = EMAIL) -> dict[str, Any]:
    client, name = table
    key = {"pk": {"S": f"EVENT#{delivery.notice_key}"}, "sk": {"S": f"EMAIL#{delivery.customer_id}"}}
    return dict(client.get_item(TableName=name, Key=key, ConsistentRead=True).get("Item", {}))


# ------------------------------------------------------------------------------------------------ ledger


def test_a_delivery_is_claimed_then_marked_sent_with_a_thirty_day_expiry(
    ledger: DynamoDBDeliveryLedger, table: tuple[Any, str]
) -> None:
    claim = ledger.claim(EMAIL, "t-1", NOW, LEASE)
    assert claim == Claim(EMAIL, "t-1", NOW + LEASE)
    assert marker(table)["state"] == {"S": "claimed"}
    ledger.sent(claim, "ses-1", NOW)
    stored = marker(table)
    assert stored["state"] == {"S": "sent"}
    assert stored["message_id"] == {"S": "ses-1"}
    assert int(stored["expires_at"]["N"]) == int((NOW + MARKER_TTL).timestamp())


def test_a_sent_delivery_is_never_claimed_again(ledger: DynamoDBDeliveryLedger) -> None:
    claim = ledger.claim(EMAIL, "t-1", NOW, LEASE)
    assert isinstance(claim, Claim)
    ledger.sent(claim, "ses-1", NOW)
    assert ledger.claim(EMAIL, "t-2", NOW + timedelta(days=29), LEASE) is Refusal.SENT


def test_a_live_claim_is_refused_as_busy_and_a_lapsed_one_is_taken_over(
    ledger: DynamoDBDeliveryLedger,
) -> None:
    assert isinstance(ledger.claim(EMAIL, "t-1", NOW, LEASE), Claim)
    assert ledger.claim(EMAIL, "t-2", NOW + LEASE - timedelta(seconds=1), LEASE) is Refusal.BUSY
    assert isinstance(ledger.claim(EMAIL, "t-2", NOW + LEASE + timedelta(seconds=1), LEASE), Claim)


def test_a_released_claim_can_be_claimed_at_once(ledger: DynamoDBDeliveryLedger) -> None:
    claim = ledger.claim(EMAIL, "t-1", NOW, LEASE)
    assert isinstance(claim, Claim)
    ledger.release(claim)
    assert isinstance(ledger.claim(EMAIL, "t-2", NOW, LEASE), Claim)


def test_a_late_release_does_not_free_the_next_holders_claim(ledger: DynamoDBDeliveryLedger) -> None:
    stale = ledger.claim(EMAIL, "t-1", NOW, LEASE)
    assert isinstance(stale, Claim)
    later = NOW + LEASE + timedelta(seconds=1)
    assert isinstance(ledger.claim(EMAIL, "t-2", later, LEASE), Claim)
    ledger.release(stale)
    assert ledger.claim(EMAIL, "t-3", later, LEASE) is Refusal.BUSY


def test_an_expired_marker_is_ignored_though_ttl_has_not_deleted_it(ledger: DynamoDBDeliveryLedger) -> None:
    claim = ledger.claim(EMAIL, "t-1", NOW, LEASE)
    assert isinstance(claim, Claim)
    ledger.sent(claim, "ses-1", NOW)
    assert isinstance(ledger.claim(EMAIL, "t-2", NOW + MARKER_TTL + timedelta(seconds=1), LEASE), Claim)


def test_channels_and_customers_are_claimed_separately(ledger: DynamoDBDeliveryLedger) -> None:
    assert isinstance(ledger.claim(EMAIL, "t", NOW, LEASE), Claim)
    assert isinstance(ledger.claim(Delivery(EMAIL.notice_key, "c-1", Channel.SMS), "t", NOW, LEASE), Claim)
    assert isinstance(ledger.claim(Delivery(EMAIL.notice_key, "c-2", Channel.EMAIL), "t", NOW, LEASE), Claim)


def test_of_many_concurrent_claims_exactly_one_wins(ledger: DynamoDBDeliveryLedger) -> None:
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: ledger.claim(EMAIL, f"t-{i}", NOW, LEASE), range(48)))
    assert sum(isinstance(result, Claim) for result in results) == 1
    assert results.count(Refusal.BUSY) == 47


# ------------------------------------------------------------------------------------------------ watches


def watch(customer_id: str = "c-1", product_id: str = PRODUCT, seconds: int = 0) -> Watch:
    return Watch(customer_id, product_id, NOW + timedelta(seconds=seconds))


def test_a_watch_is_added_once(watches: DynamoDBWatchRepository, table: tuple[Any, str]) -> None:
    assert watches.add(watch()) == (watch(), True)
    assert watches.add(watch(seconds=5)) == (watch(), False)
    client, name = table
    assert client.scan(TableName=name)["Count"] == 2  # the product's side and the customer's side
    assert list(watches.watchers(PRODUCT)) == [watch()]
    assert watches.of_customer("c-1", None, 10).items == [watch()]


def test_many_concurrent_watches_of_one_product_by_one_customer_make_one(
    watches: DynamoDBWatchRepository, table: tuple[Any, str]
) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: watches.add(watch(seconds=i)), range(16)))
    assert sum(created for _, created in results) == 1
    assert len({stored for stored, _ in results}) == 1
    client, name = table
    assert client.scan(TableName=name)["Count"] == 2


def test_removing_a_watch_removes_both_sides_and_is_idempotent(
    watches: DynamoDBWatchRepository, table: tuple[Any, str]
) -> None:
    watches.add(watch())
    watches.remove("c-1", PRODUCT)
    watches.remove("c-1", PRODUCT)
    client, name = table
    assert client.scan(TableName=name)["Count"] == 0


def test_a_watch_replaced_meanwhile_is_not_removed_as_told(
    watches: DynamoDBWatchRepository, table: tuple[Any, str]
) -> None:
    told = watch()
    watches.add(told)
    watches.remove("c-1", PRODUCT)
    watches.add(watch(seconds=60))
    watches.remove_told(told)
    assert list(watches.watchers(PRODUCT)) == [watch(seconds=60)]
    watches.remove_told(watch(seconds=60))
    client, name = table
    assert client.scan(TableName=name)["Count"] == 0


def test_a_customers_watches_come_newest_first_page_by_page(watches: DynamoDBWatchRepository) -> None:
    products = [f"01JD3Q8Z6V8Y4WJ1M5T9K2C7R{c}" for c in "CDEFG"]
    for i, product_id in enumerate(products):
        watches.add(watch(product_id=product_id, seconds=i))
    watches.add(watch(customer_id="c-2", product_id=products[0]))
    seen, cursor, pages = [], None, 0
    while True:
        page = watches.of_customer("c-1", cursor, 2)
        seen += [w.product_id for w in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == products[::-1]
    assert pages == 3


@pytest.mark.parametrize("cursor", ["garbage!", "eyJzayI6IDF9", "eyJzayI6IlBST0ZJTEUifQ"])
def test_a_cursor_this_api_did_not_make_is_refused(watches: DynamoDBWatchRepository, cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        watches.of_customer("c-1", cursor, 10)
    assert raised.value.code == "invalid_cursor"


def test_every_watcher_is_found_across_pages(
    watches: DynamoDBWatchRepository, table: tuple[Any, str]
) -> None:
    client, name = table
    padding = "x" * 350_000  # three watch items fill a 1 MB query page
    for i in range(7):
        watches.add(watch(customer_id=f"c-{i}"))
        client.update_item(
            TableName=name,
            Key={"pk": {"S": f"WATCH#{PRODUCT}"}, "sk": {"S": f"CUSTOMER#c-{i}"}},
            UpdateExpression="SET padding = :p",
            ExpressionAttributeValues={":p": {"S": padding}},
        )
    assert sorted(w.customer_id for w in watches.watchers(PRODUCT)) == [f"c-{i}" for i in range(7)]


# ------------------------------------------------------------------------------------------------ SES and SNS


def stubbed() -> tuple[SesSnsNotifier, Stubber, Stubber]:
    ses = boto3.client("ses", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    sns = boto3.client("sns", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return SesSnsNotifier(ses, sns, "orders@commerce.example"), Stubber(ses), Stubber(sns)


def test_an_email_is_one_ses_send_email_with_both_parts() -> None:
    notifier, ses, _ = stubbed()
    ses.add_response(
        "send_email",
        {"MessageId": "ses-1"},
        {
            "Source": "orders@commerce.example",
            "Destination": {"ToAddresses": ["ada@example.com"]},
            "Message": {
                "Subject": {"Data": "Hi", "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": "text", "Charset": "UTF-8"},
                    "Html": {"Data": "<p>html</p>", "Charset": "UTF-8"},
                },
            },
        },
    )
    with ses:
        assert notifier.email("ada@example.com", "Hi", "text", "<p>html</p>") == "ses-1"
    ses.assert_no_pending_responses()


def test_a_text_is_one_transactional_sns_publish_to_the_phone() -> None:
    notifier, _, sns = stubbed()
    sns.add_response(
        "publish",
        {"MessageId": "sns-1"},
        {
            "PhoneNumber": "+14155550100",
            "Message": "Order shipped",
            "MessageAttributes": {
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
            },
        },
    )
    with sns:
        assert notifier.sms("+14155550100", "Order shipped") == "sns-1"
    sns.assert_no_pending_responses()


@pytest.mark.parametrize(("channel", "code"), [("email", "email_not_sent"), ("sms", "sms_not_sent")])
def test_a_provider_error_is_a_dependency_failure(channel: str, code: str) -> None:
    notifier, ses, sns = stubbed()
    ses.add_client_error("send_email", "Throttling", "Maximum sending rate exceeded.")
    sns.add_client_error("publish", "InternalError", "boom", http_status_code=500)
    with ses, sns, pytest.raises(DependencyFailure) as raised:
        if channel == "email":
            notifier.email("ada@example.com", "Hi", "text")
        else:
            notifier.sms("+14155550100", "text")
    assert raised.value.code == code


@pytest.fixture
def moto_ses_sns() -> Iterator[tuple[Any, Any]]:
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    try:
        with mock_aws():
            outbox.clear()
            yield boto3.client("ses", region_name=REGION), boto3.client("sns", region_name=REGION)
            outbox.clear()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_on_moto_sent_messages_land_in_the_local_outbox(moto_ses_sns: tuple[Any, Any]) -> None:
    ses, sns = moto_ses_sns
    ses.verify_email_identity(EmailAddress="orders@commerce.example")
    notifier = SesSnsNotifier(ses, sns, "orders@commerce.example")
    message_id = notifier.email("ada@example.com", "Order confirmed", "plain text")
    text_id = notifier.sms("+14155550100", "Order confirmed")
    [email] = outbox.emails("ada@example.com")
    assert (email.message_id, email.sender, email.to) == (
        message_id,
        "orders@commerce.example",
        ("ada@example.com",),
    )
    assert (email.subject, email.body) == ("Order confirmed", "plain text")
    assert outbox.texts("+14155550100") == [outbox.SentText(text_id, "+14155550100", "Order confirmed")]
    assert outbox.emails("bob@example.com") == []


def test_on_moto_an_unverified_sender_is_refused(moto_ses_sns: tuple[Any, Any]) -> None:
    ses, sns = moto_ses_sns
    with pytest.raises(DependencyFailure) as raised:
        SesSnsNotifier(ses, sns, "nobody@commerce.example").email("ada@example.com", "Hi", "text")
    assert raised.value.code == "email_not_sent"
    assert "MessageRejected" in raised.value.detail
    assert outbox.emails() == []
