"""The wallet over HTTP (balance, statement, admin credits, wallet checkouts and their race) and
admin refunds (full, partial, to the wallet, never beyond what was captured, however they race)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from localcloud import LocalCloud
from support import ADDRESS, Actor, card, checkout, fill_cart, settled, stock_of

WALLET = {"type": "wallet"}


def credit(cloud: LocalCloud, admin: Actor, customer: Actor, amount: int, key: str | None = None) -> Any:
    return cloud.request(
        "POST",
        "/v1/wallet/credits",
        json={
            "customer_id": customer.user_id,
            "amount": {"amount": amount, "currency": "EUR"},
            "reason": "Goodwill",
        },
        token=admin.token,
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def wallet_of(cloud: LocalCloud, customer: Actor) -> dict[str, Any]:
    response = cloud.request("GET", "/v1/wallet", token=customer.token)
    assert response.status == 200, response.text
    return dict(response.json())


def refund(
    cloud: LocalCloud,
    admin: Actor,
    order_id: str,
    amount: int | None = None,
    key: str | None = None,
    **body: Any,
) -> Any:
    payload: dict[str, Any] = {"reason": "Damaged in transit", **body}
    if amount is not None:
        payload["amount"] = {"amount": amount, "currency": "EUR"}
    return cloud.request(
        "POST",
        f"/v1/orders/{order_id}/refunds",
        json=payload,
        token=admin.token,
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def processor_payment(cloud: LocalCloud, order_id: str) -> Any:
    from commerce.bootstrap import payment_providers
    from commerce.payments.model import PaymentMethodKind

    return payment_providers().for_kind(PaymentMethodKind.CARD).find(order_id)


def paid_order(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]], price: int = 5000
) -> tuple[Actor, str, int]:
    """A confirmed card order, and its total (EUR, shipped within the EU)."""
    customer = actor("customer")
    product = listed(available=10, price={"amount": price, "currency": "EUR"})
    fill_cart(cloud, customer, (product["product_id"], 1))
    order_id = checkout(cloud, customer).json()["order_id"]
    order = settled(cloud, customer, order_id)
    assert order["status"] == "confirmed", order
    return customer, order_id, int(order["totals"]["total"]["amount"])


# ---------------------------------------------------------------------- wallet
def test_an_admin_credit_shows_in_the_customers_balance_and_statement_once_however_often_sent(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    admin, customer = actor("admin"), actor("customer")

    first = credit(cloud, admin, customer, 2500, key="credit-1")
    again = credit(cloud, admin, customer, 2500, key="credit-1")

    assert first.status == again.status == 201, first.text
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    wallet = wallet_of(cloud, customer)
    assert wallet["balance"] == {"amount": 2500, "currency": "EUR"}
    assert [(e["kind"], e["amount"]["amount"], e["reason"]) for e in wallet["entries"]] == [
        ("credit", 2500, "Goodwill")
    ]


def test_only_admins_credit_wallets_and_only_with_a_key_and_a_positive_amount(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    admin, customer = actor("admin"), actor("customer")

    by_customer = credit(cloud, customer, customer, 1000)
    without_key = cloud.request(
        "POST",
        "/v1/wallet/credits",
        json={"customer_id": customer.user_id, "amount": {"amount": 100, "currency": "EUR"}, "reason": "x"},
        token=admin.token,
    )
    nothing = credit(cloud, admin, customer, 0)

    assert by_customer.status == 403
    assert (without_key.status, without_key.json()["code"]) == (422, "idempotency_key_required")
    assert (nothing.status, nothing.json()["code"]) == (422, "invalid_amount")
    assert wallet_of(cloud, customer)["balance"]["amount"] == 0


def test_a_wallet_checkout_confirms_and_takes_the_total_from_the_balance(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    admin, customer = actor("admin"), actor("customer")
    product = listed(available=3, price={"amount": 5000, "currency": "EUR"})
    credit(cloud, admin, customer, 20000)
    fill_cart(cloud, customer, (product["product_id"], 1))

    order = settled(cloud, customer, checkout(cloud, customer, payment_method=WALLET).json()["order_id"])

    total = order["totals"]["total"]["amount"]
    assert order["status"] == "confirmed"
    assert order["payment"]["method"] == "wallet"
    assert order["payment"]["status"] == "captured"
    wallet = wallet_of(cloud, customer)
    assert wallet["balance"]["amount"] == 20000 - total
    assert [e["kind"] for e in wallet["entries"]] == ["hold", "credit"]


def test_a_wallet_too_low_cancels_the_checkout_as_declined_and_takes_nothing(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    admin, customer = actor("admin"), actor("customer")
    product = listed(available=3, price={"amount": 5000, "currency": "EUR"})
    credit(cloud, admin, customer, 100)
    fill_cart(cloud, customer, (product["product_id"], 1))

    order = settled(cloud, customer, checkout(cloud, customer, payment_method=WALLET).json()["order_id"])

    assert (order["status"], order["cancellation_reason"]) == ("cancelled", "payment_declined")
    assert wallet_of(cloud, customer)["balance"]["amount"] == 100
    assert stock_of(cloud, product["product_id"]) == (3, 0, 0)


def test_twenty_concurrent_wallet_checkouts_against_a_balance_for_five_confirm_exactly_five(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    """One customer's wallet, twenty orders' sagas at once. (A cart is checked out one order at
    a time, so the twenty orders are placed straight through the repository, each with a cart
    of its own, and their sagas started together, as twenty checkouts would start them.)"""
    from commerce.bootstrap import checkout_service
    from commerce.carts.model import Cart
    from commerce.orders.model import Order, ShippingAddress
    from commerce.orders.ports import CheckoutClaim, CheckoutRecord
    from commerce.orders.pricing import PricedLine, PricingRules, quote
    from commerce.payments.model import PaymentMethod, PaymentMethodKind

    admin, customer = actor("admin"), actor("customer")
    product = listed(available=50, price={"amount": 1000, "currency": "EUR"})
    service = checkout_service()
    now = datetime.now(UTC)
    priced = [PricedLine(product["product_id"], product["seller_id"], product_price(product), 1)]
    address = ShippingAddress(**ADDRESS)
    orders = [
        Order.place(
            order_id=f"01RACE{index:020d}",
            customer_id=customer.user_id,
            priced=priced,
            names={},
            quote=quote(priced, address.country, PricingRules.default()),
            address=address,
            method=PaymentMethod(PaymentMethodKind.WALLET, customer.user_id),
            now=now,
        )
        for index in range(20)
    ]
    total = orders[0].totals.total.amount
    credit(cloud, admin, customer, 5 * total)
    for order in orders:
        record = CheckoutRecord(f"race-cart-{order.order_id}", "key", order.order_id, "digest")
        cart = Cart(
            record.customer_id, created_at=now, updated_at=now, expires_at=now + timedelta(hours=1), version=1
        )
        service.carts.save(cart, expected_version=0)
        service.orders.place(order, CheckoutClaim(record, cart, now, now + timedelta(minutes=5)))

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(service.workflow.start, orders))
    outcomes = [settled(cloud, customer, order.order_id, timeout=120) for order in orders]

    confirmed = [o for o in outcomes if o["status"] == "confirmed"]
    declined = [o for o in outcomes if o["cancellation_reason"] == "payment_declined"]
    assert (len(confirmed), len(declined)) == (5, 15)
    assert wallet_of(cloud, customer)["balance"]["amount"] == 0
    assert stock_of(cloud, product["product_id"]) == (45, 0, 5)


def product_price(product: dict[str, Any]) -> Any:
    from commerce.money import Money

    return Money(product["price"]["amount"], product["price"]["currency"])


# ---------------------------------------------------------------------- refunds
def test_partial_refunds_then_the_rest_leave_the_order_refunded_and_the_card_refunded_once_each(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    admin = actor("admin")
    customer, order_id, total = paid_order(cloud, actor, listed)

    part = refund(cloud, admin, order_id, 1000, key="r-1")
    replay = refund(cloud, admin, order_id, 1000, key="r-1")
    too_much = refund(cloud, admin, order_id, total - 999)
    rest = refund(cloud, admin, order_id)

    assert part.status == replay.status == 201, part.text
    assert part.json()["payment"]["status"] == "partially_refunded"
    assert replay.json()["refund"] == part.json()["refund"]
    assert (too_much.status, too_much.json()["code"]) == (422, "refund_exceeds_captured")
    assert too_much.json()["refundable"] == {"amount": total - 1000, "currency": "EUR"}
    assert rest.status == 201, rest.text
    assert rest.json()["refund"]["amount"] == {"amount": total - 1000, "currency": "EUR"}
    order = cloud.request("GET", f"/v1/orders/{order_id}", token=customer.token).json()
    assert order["payment"]["status"] == "refunded"
    assert order["payment"]["refunded"] == {"amount": total, "currency": "EUR"}
    assert [r["status"] for r in order["payment"]["refunds"]] == ["succeeded", "succeeded"]
    assert processor_payment(cloud, order_id).refunded.amount == total
    nothing_left = refund(cloud, admin, order_id)
    assert (nothing_left.status, nothing_left.json()["code"]) == (422, "refund_exceeds_captured")


def test_a_refund_to_the_wallet_credits_the_customer_and_leaves_the_card_payment_alone(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    admin = actor("admin")
    customer, order_id, total = paid_order(cloud, actor, listed)

    response = refund(cloud, admin, order_id, 1500, destination="wallet")

    assert response.status == 201, response.text
    assert response.json()["refund"]["destination"] == "wallet"
    assert response.json()["payment"]["status"] == "partially_refunded"
    assert response.json()["payment"]["refunded"] == {"amount": 1500, "currency": "EUR"}
    assert wallet_of(cloud, customer)["balance"] == {"amount": 1500, "currency": "EUR"}
    assert processor_payment(cloud, order_id).refunded.amount == 0
    # Cancelling now gives back only what no refund gave back yet.
    cancelled = cloud.request("POST", f"/v1/orders/{order_id}/cancel", token=customer.token)
    assert cancelled.status == 200, cancelled.text
    assert processor_payment(cloud, order_id).refunded.amount == total - 1500
    assert cancelled.json()["payment"]["refunded"] == {"amount": total, "currency": "EUR"}


def test_ten_admins_racing_to_refund_a_fifth_each_refund_exactly_five(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    admin = actor("admin")
    _, order_id, total = paid_order(cloud, actor, listed, price=5000)
    fifth = total // 5

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(
            pool.map(lambda i: refund(cloud, admin, order_id, fifth, key=f"race-{i}"), range(10))
        )

    statuses = sorted(r.status for r in responses)
    assert statuses.count(201) == 5, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status != 201} <= {"refund_exceeds_captured"}
    assert processor_payment(cloud, order_id).refunded.amount == 5 * fifth


def test_refunds_are_for_admins_with_a_key_on_captured_payments_only(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    admin = actor("admin")
    customer, order_id, _ = paid_order(cloud, actor, listed)
    declined_customer = actor("customer")
    product = listed(available=2)
    fill_cart(cloud, declined_customer, (product["product_id"], 1))
    declined_id = checkout(cloud, declined_customer, payment_method=card("pm_card_chargeDeclined")).json()[
        "order_id"
    ]
    settled(cloud, declined_customer, declined_id)

    by_customer = refund(cloud, customer, order_id, 100)
    without_key = cloud.request(
        "POST", f"/v1/orders/{order_id}/refunds", json={"reason": "x"}, token=admin.token
    )
    unpaid = refund(cloud, admin, declined_id, 100)
    wrong_currency = cloud.request(
        "POST",
        f"/v1/orders/{order_id}/refunds",
        json={"reason": "x", "amount": {"amount": 100, "currency": "USD"}},
        token=admin.token,
        headers={"Idempotency-Key": "usd"},
    )
    missing = refund(cloud, admin, "01" + "0" * 24, 100)

    assert by_customer.status == 403
    assert (without_key.status, without_key.json()["code"]) == (422, "idempotency_key_required")
    assert (unpaid.status, unpaid.json()["code"]) == (409, "payment_not_refundable")
    assert (wrong_currency.status, wrong_currency.json()["code"]) == (422, "currency_mismatch")
    assert (missing.status, missing.json()["code"]) == (404, "order_not_found")
