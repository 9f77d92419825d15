"""What customers are told, and what counts as the same notification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce.money import Money
from commerce.notifications.model import (
    BackInStock,
    Channel,
    Delivery,
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderLine,
    OrderRefunded,
    OrderShipped,
    ProductSummary,
    Recipient,
    cancellation_in_words,
    compose,
    product_path,
)

ORDER = "01JD3Q8Z6V8Y4WJ1M5T9K2C7RA"
PRODUCT = "01JD3Q8Z6V8Y4WJ1M5T9K2C7RB"
ADA = Recipient("c-1", "ada@example.com", "Ada", phone="+14155550100", sms_opt_in=True)
EARBUDS = {PRODUCT: ProductSummary(PRODUCT, "Aurora <X2> Earbuds")}


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def confirmed(event_id: str = "e-1") -> OrderConfirmed:
    return OrderConfirmed(event_id, ORDER, "c-1", usd(15998), (OrderLine(PRODUCT, 2),))


def shipped(order_status: str = "shipped") -> OrderShipped:
    return OrderShipped("e-2", ORDER, "c-1", "s-1", "DHL", "1Z999AA10123456784", (PRODUCT,), order_status)


def delivered() -> OrderDelivered:
    return OrderDelivered("e-3", ORDER, "c-1", "s-1", datetime(2025, 1, 15, tzinfo=UTC), (PRODUCT,))


def refunded(amount: int = 500, total: int = 500, status: str = "partially_refunded") -> OrderRefunded:
    return OrderRefunded("e-4", ORDER, "c-1", usd(amount), usd(total), status)


# ------------------------------------------------------------------------------------------------ messages


def test_the_confirmation_names_the_order_its_total_and_what_was_bought() -> None:
    message = compose(confirmed(), ADA, EARBUDS)
    assert message.subject == f"Order {ORDER} confirmed"
    for part in (message.text, message.html):
        assert ORDER in part
        assert "159.98 USD" in part
    assert "2 x Aurora <X2> Earbuds" in message.text
    assert "Hello Ada," in message.text
    assert ORDER in message.sms and "159.98 USD" in message.sms


def test_html_escapes_what_sellers_and_customers_wrote() -> None:
    message = compose(confirmed(), Recipient("c-1", "a@example.com", "<script>"), EARBUDS)
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "Aurora &lt;X2&gt; Earbuds" in message.html


def test_a_product_gone_from_the_catalogue_is_still_listed_by_its_id() -> None:
    assert f"2 x Product {PRODUCT}" in compose(confirmed(), ADA, {}).text


def test_the_shipping_notice_carries_the_carrier_and_tracking_number() -> None:
    message = compose(shipped(), ADA, EARBUDS)
    assert message.subject == f"Order {ORDER} has shipped"
    for part in (message.text, message.html, message.sms):
        assert "1Z999AA10123456784" in part
        assert "DHL" in part
    assert "follow separately" not in message.text


def test_a_partial_shipment_says_the_rest_follows() -> None:
    message = compose(shipped(order_status="confirmed"), ADA, EARBUDS)
    assert "Part of order" in message.text
    assert "The rest of your order will follow separately." in message.text


def test_the_delivery_notice_names_the_order() -> None:
    message = compose(delivered(), ADA, EARBUDS)
    assert message.subject == f"Order {ORDER} was delivered"
    assert "Aurora <X2> Earbuds" in message.text


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("payment_declined", "your payment was declined"),
        ("insufficient_stock", "some items were no longer in stock"),
        ("reservation_expired", "the items could not be held for you long enough"),
        ("payment_action_expired", "the payment was not confirmed in time"),
        ("customer_request", "you asked us to cancel it"),
        ("admin_request", "our customer service team cancelled it"),
        ("checkout_failed", "we could not complete the checkout"),
        ("a_reason_added_later", "we could not complete it"),
        (None, "we could not complete it"),
    ],
)
def test_a_cancellation_gives_its_reason_in_words(reason: str | None, words: str) -> None:
    assert cancellation_in_words(reason) == words
    message = compose(OrderCancelled("e-5", ORDER, "c-1", usd(15998), reason), ADA, {})
    assert f"was cancelled because {words}." in message.text
    assert reason is None or reason not in message.text


def test_a_cancelled_checkout_says_nothing_was_charged_and_a_cancelled_order_that_it_is_refunded() -> None:
    never_charged = compose(OrderCancelled("e", ORDER, "c-1", usd(100), "payment_declined", False), ADA, {})
    assert "You have not been charged." in never_charged.text
    refunded_order = compose(OrderCancelled("e", ORDER, "c-1", usd(100), "customer_request", True), ADA, {})
    assert "Anything you paid (1.00 USD) is refunded." in refunded_order.text


def test_the_refund_notice_gives_the_amount_and_the_total_so_far() -> None:
    partial = compose(refunded(500, 500), ADA, {})
    assert partial.subject == f"Refund of 5.00 USD for order {ORDER}"
    assert "Refunded so far: 5.00 USD" in partial.text
    assert "5.00 USD" in partial.sms
    whole = compose(refunded(1000, 1500, "refunded"), ADA, {})
    assert "(the whole order)" in whole.text


def test_back_in_stock_names_the_product_and_links_to_it() -> None:
    message = compose(BackInStock("e-6", PRODUCT, 3), ADA, EARBUDS)
    assert message.subject == "Aurora <X2> Earbuds is back in stock"
    path = product_path(PRODUCT)
    assert path == f"/products/{PRODUCT}"
    for part in (message.text, message.html, message.sms):
        assert path in part


@pytest.mark.parametrize(
    "event",
    [confirmed(), shipped(), delivered(), refunded(), BackInStock("e", PRODUCT, 1)],
    ids=lambda e: type(e).__name__,
)
def test_a_text_message_fits_one_sms(event: object) -> None:
    assert len(compose(event, ADA, EARBUDS).sms) <= 160  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ identity


def test_an_order_event_republished_under_a_new_event_id_is_the_same_notification() -> None:
    assert confirmed("e-1").notice_key == confirmed("e-2").notice_key


def test_each_refund_of_an_order_is_its_own_notification() -> None:
    assert refunded(500, 500).notice_key != refunded(500, 1000).notice_key


def test_each_seller_part_of_an_order_ships_and_arrives_as_its_own_notification() -> None:
    other_seller = OrderShipped("e", ORDER, "c-1", "s-2", "DHL", "1Z999AA10123456784")
    assert shipped().notice_key != other_seller.notice_key
    assert (
        delivered().notice_key
        != OrderDelivered("e", ORDER, "c-1", "s-2", delivered().delivered_at).notice_key
    )


def test_each_back_in_stock_event_is_its_own_notification() -> None:
    assert BackInStock("e-1", PRODUCT, 1).notice_key != BackInStock("e-2", PRODUCT, 1).notice_key


def test_a_delivery_is_one_channel_to_one_customer() -> None:
    email = Delivery("k", "c-1", Channel.EMAIL)
    assert email.key != Delivery("k", "c-1", Channel.SMS).key
    assert email.key != Delivery("k", "c-2", Channel.EMAIL).key


@pytest.mark.parametrize(
    ("phone", "opted_in", "channels"),
    [
        ("+14155550100", True, (Channel.EMAIL, Channel.SMS)),
        ("+14155550100", False, (Channel.EMAIL,)),
        (None, True, (Channel.EMAIL,)),
        (None, False, (Channel.EMAIL,)),
    ],
)
def test_texts_go_only_to_customers_who_opted_in_with_a_phone(
    phone: str | None, opted_in: bool, channels: tuple[Channel, ...]
) -> None:
    assert Recipient("c", "c@example.com", "C", phone, opted_in).channels() == channels


def test_a_long_or_multi_line_product_name_keeps_the_subject_on_one_line_and_the_text_short() -> None:
    name = "Aurora\r\nBcc: everyone@example.com " + "very " * 40 + "long earbuds"
    message = compose(BackInStock("e", PRODUCT, 1), ADA, {PRODUCT: ProductSummary(PRODUCT, name)})
    assert "\n" not in message.subject and "\r" not in message.subject
    assert len(message.sms) <= 160
    assert message.sms.startswith("Aurora Bcc: everyone@example.com very")
