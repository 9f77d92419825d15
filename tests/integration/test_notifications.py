"""Customers hear about their orders and watched products through the bus, the notifications queue and
SES/SNS (moto's, read through the local outbox): once per event however often it is delivered, a failed
send retried rather than lost, and a message nobody can read parked in the dead-letter queue."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from commerce.ids import new_id
from localcloud import LocalCloud, outbox
from localcloud.hooks import poll_queue
from support import Actor, card, checkout, fill_cart, settled

Listed = Callable[..., dict[str, Any]]
PHONE = "+14155550123"
QUEUE, DEAD_LETTERS = "NotificationsQueue", "NotificationsDeadLetterQueue"


@pytest.fixture(autouse=True)
def _empty_outbox(cloud: LocalCloud) -> None:
    outbox.clear()


def eventually(read: Callable[[], Any], timeout: float = 10.0) -> Any:
    """What ``read`` returns once it is truthy (work that follows a saga or a stream is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.05)


def subjects(to: str) -> list[str]:
    return [email.subject for email in outbox.emails(to)]


def place(cloud: LocalCloud, customer: Actor, product_id: str, quantity: int = 1) -> dict[str, Any]:
    fill_cart(cloud, customer, (product_id, quantity))
    response = checkout(cloud, customer, payment_method=card())
    assert response.status == 202, response.text
    order = settled(cloud, customer, response.json()["order_id"])
    assert order["status"] == "confirmed", order
    return order


def paid(order: dict[str, Any]) -> str:
    """The order's total as the messages write it: ``191.98 USD``."""
    total = order["totals"]["total"]
    return f"{total['amount'] // 100}.{total['amount'] % 100:02d} {total['currency']}"


def opt_in_to_texts(cloud: LocalCloud, customer: Actor, phone: str = PHONE) -> None:
    response = cloud.request(
        "PATCH", "/v1/me", json={"phone": phone, "sms_opt_in": True}, token=customer.token
    )
    assert response.status == 200, response.text


def queue_arn(cloud: LocalCloud, logical_id: str) -> str:
    return str(cloud.resources.attributes[(logical_id, "Arn")])


def waiting_on(cloud: LocalCloud, logical_id: str) -> int:
    """How many messages the queue holds (a receive would count as one more delivery)."""
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.ref(logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def dead_letters(cloud: LocalCloud) -> list[str]:
    """The dead-letter queue's messages, left visible (so the reset after the test can empty it)."""
    messages = cloud.client("sqs").receive_message(
        QueueUrl=cloud.ref(DEAD_LETTERS), MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return sorted(message["Body"] for message in messages.get("Messages", []))


def bus_event(detail_type: str, detail: dict[str, Any], event_id: str | None = None) -> str:
    """An event as the rule puts it on the notifications queue."""
    source = "commerce.inventory" if detail_type == "BackInStock" else "commerce.orders"
    return json.dumps(
        {
            "version": "0",
            "id": event_id or str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": "123456789012",
            "time": "2025-01-15T12:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
    )


def confirmed_event(customer: Actor) -> str:
    return bus_event(
        "OrderConfirmed",
        {
            "order_id": new_id(),
            "customer_id": customer.user_id,
            "total": {"amount": 1999, "currency": "USD"},
            "lines": [],
            "seller_ids": [],
            "confirmed_at": "2025-01-15T12:00:00.000Z",
        },
    )


@contextmanager
def mapping_paused(cloud: LocalCloud) -> Iterator[str]:
    """Lambda stops polling the notifications queue (messages pile up) until the block ends."""
    aws_lambda = cloud.client("lambda")
    arn = queue_arn(cloud, QUEUE)
    [mapping] = aws_lambda.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    aws_lambda.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    try:
        yield arn
    finally:
        aws_lambda.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)


@contextmanager
def sender_unverified(cloud: LocalCloud) -> Iterator[None]:
    """SES refuses to send from the platform's address (as before an operator verifies it)."""
    ses, sender = cloud.client("ses"), os.environ["NOTIFICATION_SENDER"]
    ses.delete_identity(Identity=sender)
    try:
        yield
    finally:
        ses.verify_email_identity(EmailAddress=sender)


# ------------------------------------------------------------------------------------------------ orders


def test_a_checkout_emails_the_confirmation_once_and_texts_a_customer_who_opted_in(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    texting, quiet = actor("customer"), actor("customer")
    opt_in_to_texts(cloud, texting)
    product = listed(available=5, name="Aurora X2 Earbuds")
    totals: list[str] = []
    for customer in (texting, quiet):
        order = place(cloud, customer, product["product_id"], quantity=2)
        expected = f"Order {order['order_id']} confirmed"
        assert eventually(lambda c=customer: subjects(c.email)) == [expected]
        [email] = outbox.emails(customer.email)
        assert email.sender == os.environ["NOTIFICATION_SENDER"]
        assert paid(order) in email.body
        assert "2 x Aurora X2 Earbuds" in email.body
        totals.append(paid(order))
    [text] = outbox.texts(PHONE)
    assert totals[0] in text.text
    assert len(outbox.texts()) == 1  # the customer who did not opt in got none
    assert waiting_on(cloud, QUEUE) == 0
    assert waiting_on(cloud, DEAD_LETTERS) == 0


def test_shipping_and_delivery_are_each_told_with_the_tracking_number(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    customer, seller = actor("customer"), actor("seller")
    order_id = place(cloud, customer, listed(available=5, seller=seller)["product_id"])["order_id"]
    shipment = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    shipped = cloud.request(
        "POST", f"/v1/seller/orders/{order_id}/shipments", json=shipment, token=seller.token
    )
    assert shipped.status == 200, shipped.text
    assert eventually(lambda: f"Order {order_id} has shipped" in subjects(customer.email))
    [shipping] = [e for e in outbox.emails(customer.email) if "shipped" in e.subject]
    assert "1Z999AA10123456784" in shipping.body and "UPS" in shipping.body
    delivered = cloud.request("POST", f"/v1/seller/orders/{order_id}/delivery", token=seller.token)
    assert delivered.status == 200, delivered.text
    assert eventually(lambda: f"Order {order_id} was delivered" in subjects(customer.email))
    assert subjects(customer.email) == [
        f"Order {order_id} confirmed",
        f"Order {order_id} has shipped",
        f"Order {order_id} was delivered",
    ]


def test_a_cancellation_gives_its_reason_in_words_and_a_refund_its_amount(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    customer, admin = actor("customer"), actor("admin")
    product_id = listed(available=5)["product_id"]
    cancelled_id = place(cloud, customer, product_id)["order_id"]
    cancelled = cloud.request("POST", f"/v1/orders/{cancelled_id}/cancel", token=customer.token)
    assert cancelled.status == 200, cancelled.text
    assert eventually(lambda: f"Order {cancelled_id} was cancelled" in subjects(customer.email))
    [cancellation] = [e for e in outbox.emails(customer.email) if "cancelled" in e.subject]
    assert "because you asked us to cancel it" in cancellation.body
    assert "customer_request" not in cancellation.body

    refunded_id = place(cloud, customer, product_id)["order_id"]
    refund = cloud.request(
        "POST",
        f"/v1/orders/{refunded_id}/refunds",
        json={"amount": {"amount": 1000, "currency": "USD"}, "reason": "Damaged in transit"},
        token=admin.token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert refund.status == 201, refund.text
    subject = f"Refund of 10.00 USD for order {refunded_id}"
    assert eventually(lambda: subject in subjects(customer.email))
    assert subjects(customer.email).count(subject) == 1


def test_the_same_event_delivered_twice_notifies_once(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    customer = actor("customer")
    opt_in_to_texts(cloud, customer)
    event = confirmed_event(customer)
    sqs = cloud.client("sqs")
    for _ in range(2):
        sqs.send_message(QueueUrl=cloud.ref(QUEUE), MessageBody=event)
    record = {
        "messageId": "m-1",
        "receiptHandle": "r",
        "body": event,
        "attributes": {},
        "eventSource": "aws:sqs",
    }
    assert cloud.invoke("NotificationsFunction", {"Records": [record]}) == {"batchItemFailures": []}
    assert len(outbox.emails(customer.email)) == 1
    assert len(outbox.texts(PHONE)) == 1
    assert waiting_on(cloud, QUEUE) == 0


def test_an_event_for_a_customer_who_does_not_exist_is_done_with_not_retried(cloud: LocalCloud) -> None:
    nobody = Actor(user_id=str(uuid.uuid4()), email="nobody@example.com", token="")
    cloud.client("sqs").send_message(QueueUrl=cloud.ref(QUEUE), MessageBody=confirmed_event(nobody))
    assert outbox.emails() == []
    assert waiting_on(cloud, QUEUE) == 0
    assert waiting_on(cloud, DEAD_LETTERS) == 0


# ------------------------------------------------------------------------------------------------ back in stock


def test_back_in_stock_tells_each_watcher_once_and_removes_their_watch(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    texting, quiet, seller = actor("customer"), actor("customer"), actor("seller")
    opt_in_to_texts(cloud, texting)
    product_id = listed(available=0, seller=seller, name="Aurora X2 Earbuds")["product_id"]
    for watcher in (texting, quiet):
        watched = cloud.request("PUT", f"/v1/products/{product_id}/watch", token=watcher.token)
        assert watched.status == 201, watched.text

    def restock(available: int) -> None:
        response = cloud.request(
            "PUT", f"/v1/inventory/{product_id}", json={"available": available}, token=seller.token
        )
        assert response.status == 200, response.text

    restock(5)
    subject = "Aurora X2 Earbuds is back in stock"
    for watcher in (texting, quiet):
        assert eventually(lambda w=watcher: subjects(w.email)) == [subject]
        assert f"/products/{product_id}" in outbox.emails(watcher.email)[0].body
        listed_watches = cloud.request("GET", "/v1/me/watches", token=watcher.token).json()
        assert listed_watches["items"] == []
    [text] = outbox.texts(PHONE)
    assert subject in text.text
    # AND a later restock tells nobody: the watches were one-off
    restock(0)
    restock(3)
    time.sleep(0.2)
    assert len(outbox.emails()) == 2


# ------------------------------------------------------------------------------------------------ failures


def test_a_poisoned_message_ends_in_the_dead_letter_queue_and_its_batch_mates_are_sent(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    ada, bob = actor("customer"), actor("customer")
    poison = '{"detail-type": "OrderConfirmed", "detail": '  # cut short: never readable
    with mapping_paused(cloud) as arn:
        sqs = cloud.client("sqs")
        for body in (confirmed_event(ada), poison, confirmed_event(bob)):
            sqs.send_message(QueueUrl=cloud.ref(QUEUE), MessageBody=body)
        assert outbox.emails() == []
    # WHEN Lambda polls: one batch of three, the poison reported as the only failure
    assert poll_queue(arn) == 3
    assert sorted(e.to[0] for e in outbox.emails()) == sorted([ada.email, bob.email])
    assert waiting_on(cloud, QUEUE) == 1
    # AND it fails on each of its five receives, then SQS moves it aside
    for _ in range(4):
        assert poll_queue(arn) == 1
    assert poll_queue(arn) == 0
    assert waiting_on(cloud, QUEUE) == 0
    assert dead_letters(cloud) == [poison]
    assert len(outbox.emails()) == 2


def test_an_email_ses_refused_is_retried_not_lost(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed
) -> None:
    customer = actor("customer")
    product_id = listed(available=5)["product_id"]
    with sender_unverified(cloud):
        order_id = place(cloud, customer, product_id)["order_id"]
        assert eventually(lambda: waiting_on(cloud, QUEUE)) == 1  # the event waits on the queue
        assert outbox.emails() == []
    # WHEN Lambda comes back for it, with the sender verified again
    poll_queue(queue_arn(cloud, QUEUE))
    assert subjects(customer.email) == [f"Order {order_id} confirmed"]
    assert waiting_on(cloud, QUEUE) == 0
    assert waiting_on(cloud, DEAD_LETTERS) == 0
