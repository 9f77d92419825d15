"""3-D Secure through the real state machine (a task-token wait resumed by Stripe's webhook), and the
webhook endpoint's guarantees: signed, once per event, never moving an order backwards."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from commerce.payments.stripe_webhooks import sign
from localcloud import LocalCloud
from support import Actor, card, checkout, execution_arn, fill_cart, settled, stock_of

NEEDS_3DS = "pm_card_authenticationRequired"


def order_of(cloud: LocalCloud, customer: Actor, order_id: str) -> dict[str, Any]:
    response = cloud.request("GET", f"/v1/orders/{order_id}", token=customer.token)
    assert response.status == 200, response.text
    return dict(response.json())


def waiting_for_customer(cloud: LocalCloud, customer: Actor, order_id: str) -> dict[str, Any]:
    """The order once the saga has parked on the customer's 3-D Secure challenge."""
    from commerce.bootstrap import fulfilment_steps

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stored = fulfilment_steps().orders.get(order_id)
        if stored is not None and stored.customer_action is not None:
            return order_of(cloud, customer, order_id)
        time.sleep(0.05)
    raise AssertionError(f"order {order_id} never waited for the customer")


def pending_3ds_order(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> tuple[Actor, str, str]:
    customer = actor("customer")
    product = listed(available=5)
    fill_cart(cloud, customer, (product["product_id"], 2))
    response = checkout(cloud, customer, payment_method=card(NEEDS_3DS))
    assert response.status == 202, response.text
    return customer, product["product_id"], response.json()["order_id"]


# ---------------------------------------------------------------------- 3-D Secure
def test_a_card_needing_3ds_waits_with_the_client_secret_and_the_webhook_confirms_the_order(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, product_id, order_id = pending_3ds_order(cloud, actor, listed)

    waiting = waiting_for_customer(cloud, customer, order_id)

    assert waiting["status"] == "pending"
    assert waiting["payment"]["status"] == "requires_action"
    assert waiting["payment"]["next_action"]["type"] == "use_stripe_sdk"
    assert waiting["payment"]["next_action"]["client_secret"].startswith("pi_")
    assert cloud.execution(execution_arn(cloud, order_id))["status"] == "RUNNING"
    assert stock_of(cloud, product_id) == (3, 2, 0)  # held while the customer authenticates

    delivered = cloud.authenticate_payment(order_id)

    assert delivered.status == 200, delivered.text
    assert delivered.json()["outcome"] == "processed"
    order = settled(cloud, customer, order_id)
    assert order["status"] == "confirmed"
    assert order["payment"]["status"] == "captured"
    assert order["payment"]["next_action"] is None
    assert stock_of(cloud, product_id) == (3, 0, 2)


def test_the_reservation_is_kept_alive_past_its_usual_expiry_while_the_customer_authenticates(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    from commerce.bootstrap import fulfilment_steps, inventory_service

    customer, product_id, order_id = pending_3ds_order(cloud, actor, listed)
    waiting_for_customer(cloud, customer, order_id)
    reservation = inventory_service().stock.get_reservation(order_id)
    stored = fulfilment_steps().orders.get(order_id)
    assert reservation is not None and stored is not None and stored.customer_action is not None

    # The expiry job runs just after the customer's deadline: the stock must still be theirs.
    released = inventory_service().release_expired(now=stored.customer_action.until + timedelta(seconds=1))

    assert released == 0
    assert reservation.expires_at > stored.customer_action.until
    assert stock_of(cloud, product_id) == (3, 2, 0)
    cloud.authenticate_payment(order_id)
    assert settled(cloud, customer, order_id)["status"] == "confirmed"


def test_failing_3ds_cancels_the_order_as_declined_and_gives_the_stock_back(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, product_id, order_id = pending_3ds_order(cloud, actor, listed)
    waiting_for_customer(cloud, customer, order_id)

    cloud.authenticate_payment(order_id, succeed=False)

    order = settled(cloud, customer, order_id)
    assert order["status"] == "cancelled"
    assert order["cancellation_reason"] == "payment_declined"
    assert order["payment"]["status"] == "voided"
    assert stock_of(cloud, product_id) == (5, 0, 0)


def test_a_customer_who_never_authenticates_is_timed_out_and_the_order_cancelled(
    cloud: LocalCloud,
    actor: Callable[..., Actor],
    listed: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from commerce.bootstrap import fulfilment_steps

    monkeypatch.setattr(fulfilment_steps(), "customer_action_timeout", timedelta(seconds=2))
    customer, product_id, order_id = pending_3ds_order(cloud, actor, listed)

    order = settled(cloud, customer, order_id)

    assert order["status"] == "cancelled"
    assert order["cancellation_reason"] == "payment_action_expired"
    assert order["payment"]["status"] == "voided"
    assert stock_of(cloud, product_id) == (5, 0, 0)
    history = cloud.execution_history(execution_arn(cloud, order_id))
    assert any(event["type"] == "TaskTimedOut" for event in history)


def test_a_customer_back_from_3ds_before_any_webhook_resumes_the_checkout_themselves(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    from commerce.bootstrap import payment_providers
    from commerce.payments.model import PaymentMethodKind

    customer, _, order_id = pending_3ds_order(cloud, actor, listed)
    waiting_for_customer(cloud, customer, order_id)
    payment_providers().for_kind(PaymentMethodKind.CARD).authenticate(order_id, succeed=True)  # type: ignore[attr-defined]

    returned = cloud.request("POST", f"/v1/orders/{order_id}/payment/confirm", token=customer.token)

    assert returned.status == 200, returned.text
    assert settled(cloud, customer, order_id)["status"] == "confirmed"


def test_nobody_but_the_customer_resumes_their_checkout(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, _, order_id = pending_3ds_order(cloud, actor, listed)
    waiting_for_customer(cloud, customer, order_id)

    stranger = cloud.request("POST", f"/v1/orders/{order_id}/payment/confirm", token=actor("customer").token)

    assert stranger.status == 404
    assert stranger.json()["code"] == "order_not_found"
    cloud.authenticate_payment(order_id)
    settled(cloud, customer, order_id)


# ---------------------------------------------------------------------- webhook signatures
def confirmed_order(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> tuple[Actor, str]:
    customer = actor("customer")
    product = listed(available=5)
    fill_cart(cloud, customer, (product["product_id"], 1))
    order_id = checkout(cloud, customer).json()["order_id"]
    assert settled(cloud, customer, order_id)["status"] == "confirmed"
    return customer, order_id


def simulator_event(order_id: str, event_type: str) -> dict[str, Any]:
    from commerce.bootstrap import payment_providers
    from commerce.payments.model import PaymentMethodKind

    return dict(payment_providers().for_kind(PaymentMethodKind.CARD).stripe_event(order_id, event_type))  # type: ignore[attr-defined]


def webhook_secret(cloud: LocalCloud) -> str:
    from commerce.bootstrap import stripe_webhook_secret

    return stripe_webhook_secret()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda payload, secret: None, id="no-signature"),
        pytest.param(lambda payload, secret: "garbage", id="malformed"),
        pytest.param(lambda payload, secret: sign(payload, "whsec_someone_else"), id="wrong-secret"),
        pytest.param(lambda payload, secret: sign(payload + " ", secret), id="other-body"),
        pytest.param(lambda payload, secret: sign(payload, secret, int(time.time()) - 600), id="stale"),
    ],
)
def test_a_webhook_without_a_valid_recent_signature_is_refused_and_changes_nothing(
    cloud: LocalCloud,
    actor: Callable[..., Actor],
    listed: Callable[..., dict[str, Any]],
    tamper: Callable[[str, str], str | None],
) -> None:
    customer, order_id = confirmed_order(cloud, actor, listed)
    event = simulator_event(order_id, "payment_intent.canceled")
    payload = json.dumps(event)
    signature = tamper(payload, webhook_secret(cloud))

    response = cloud.request(
        "POST",
        "/v1/payments/webhooks/stripe",
        body=payload,
        headers={
            "content-type": "application/json",
            **({"stripe-signature": signature} if signature else {}),
        },
    )

    assert response.status == 400, response.text
    assert response.json()["code"] == "invalid_signature"
    assert order_of(cloud, customer, order_id)["payment"]["status"] == "captured"


def test_a_signed_body_that_is_not_an_event_is_a_bad_request(cloud: LocalCloud) -> None:
    payload = "[1, 2, 3]"
    response = cloud.request(
        "POST",
        "/v1/payments/webhooks/stripe",
        body=payload,
        headers={
            "content-type": "application/json",
            "stripe-signature": sign(payload, webhook_secret(cloud)),
        },
    )

    assert response.status == 400
    assert response.json()["code"] == "invalid_payload"


# ---------------------------------------------------------------------- webhook processing
def test_each_event_is_processed_once_however_often_stripe_delivers_it(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    _, order_id = confirmed_order(cloud, actor, listed)
    event = simulator_event(order_id, "payment_intent.succeeded")

    outcomes = [cloud.deliver_stripe_event(event).json()["outcome"] for _ in range(3)]

    assert outcomes == ["processed", "duplicate", "duplicate"]


def test_a_late_event_from_before_the_capture_never_moves_the_order_back(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, order_id = confirmed_order(cloud, actor, listed)
    stale = simulator_event(order_id, "payment_intent.amount_capturable_updated")
    stale["data"]["object"]["status"] = "requires_capture"  # as it was before the capture
    stale["data"]["object"]["amount_received"] = 0

    response = cloud.deliver_stripe_event(stale)

    assert response.status == 200
    order = order_of(cloud, customer, order_id)
    assert order["status"] == "confirmed"
    assert order["payment"]["status"] == "captured"


def test_events_out_of_order_leave_the_order_where_the_provider_says_it_is(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, order_id = confirmed_order(cloud, actor, listed)
    later = simulator_event(order_id, "payment_intent.succeeded")
    earlier = simulator_event(order_id, "payment_intent.amount_capturable_updated")
    earlier["created"] = later["created"] - 60

    for event in (later, earlier):
        assert cloud.deliver_stripe_event(event).status == 200

    assert order_of(cloud, customer, order_id)["payment"]["status"] == "captured"


def test_events_about_nothing_of_ours_are_acknowledged_and_ignored(cloud: LocalCloud) -> None:
    unknown_order = {
        "id": "evt_unknown_order",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": {"id": "pi_x", "status": "succeeded", "metadata": {"order_id": "01NOSUCHORDER"}}},
    }
    other_type = {"id": "evt_other", "type": "customer.created", "created": 0, "data": {"object": {}}}

    outcomes = [cloud.deliver_stripe_event(event).json()["outcome"] for event in (unknown_order, other_type)]

    assert outcomes == ["ignored", "ignored"]
