"""The rules of a review, free of I/O: what may be written, what name is shown, and which orders
make a customer eligible (the part holding the product delivered, not merely the order placed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.errors import InvalidInput
from commerce.ids import new_id
from commerce.money import Money
from commerce.orders.model import CancellationReason, Order, ShippingAddress
from commerce.orders.pricing import PricedLine, Quote
from commerce.payments.model import PaymentMethod, PaymentMethodKind
from commerce.reviews.model import (
    MAX_NAME_LENGTH,
    VERIFIED_BUYER,
    Review,
    ReviewDraft,
    display_name,
    received,
)

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def order(*lines: tuple[str, str]) -> Order:
    """A pending order for one unit of each ``(product_id, seller_id)``."""
    price = Money(1000, "EUR")
    total = price * len(lines)
    zero = Money.zero("EUR")
    return Order.place(
        new_id(),
        "customer-1",
        [PricedLine(product_id, seller_id, price, 1) for product_id, seller_id in lines],
        {},
        Quote(total, zero, zero, total, 0),
        ShippingAddress("Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB"),
        PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa"),
        NOW,
    )


def delivered(placed: Order, *sellers: str) -> Order:
    """``placed`` confirmed, with the parts of ``sellers`` shipped and delivered."""
    current = placed.confirmed(NOW)
    for seller in sellers:
        current = current.shipped_by(seller, "UPS", "1Z999AA1", NOW).delivered_for(seller, NOW)
    return current


# ---------------------------------------------------------------------- eligibility
def test_a_delivered_order_holding_the_product_makes_its_customer_eligible() -> None:
    assert received(delivered(order(("earbuds", "seller-a")), "seller-a"), "earbuds")


def test_an_order_placed_confirmed_or_shipped_but_not_delivered_does_not() -> None:
    placed = order(("earbuds", "seller-a"))
    confirmed = placed.confirmed(NOW)
    shipped = confirmed.shipped_by("seller-a", "UPS", "1Z999AA1", NOW)

    assert not any(received(o, "earbuds") for o in (placed, confirmed, shipped))


def test_only_the_part_holding_the_product_counts_not_another_sellers_delivered_part() -> None:
    both = order(("earbuds", "seller-a"), ("stand", "seller-b"))
    stand_arrived = delivered(both, "seller-b")

    assert received(stand_arrived, "stand")
    assert not received(stand_arrived, "earbuds")
    assert received(delivered(both, "seller-a", "seller-b"), "earbuds")


def test_a_cancelled_order_and_an_order_of_other_products_do_not() -> None:
    cancelled = order(("earbuds", "seller-a")).cancelled(CancellationReason.CUSTOMER_REQUEST, NOW)

    assert not received(cancelled, "earbuds")
    assert not received(delivered(order(("stand", "seller-a")), "seller-a"), "earbuds")


# ---------------------------------------------------------------------- what may be written
@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_every_whole_star_from_one_to_five_is_a_rating(rating: int) -> None:
    assert ReviewDraft(rating, "Fine.").rating == rating


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        ({"rating": 0}, "invalid_rating"),
        ({"rating": 6}, "invalid_rating"),
        ({"rating": True}, "invalid_rating"),
        ({"rating": 4.0}, "invalid_rating"),
        ({"text": ""}, "invalid_text"),
        ({"text": " \n\t "}, "invalid_text"),
        ({"text": "x" * 5001}, "invalid_text"),
        ({"title": "t" * 121}, "invalid_title"),
    ],
    ids=["zero", "six", "bool", "float", "empty", "blank", "long-text", "long-title"],
)
def test_a_draft_out_of_bounds_is_refused_with_its_field_named(draft: dict[str, object], code: str) -> None:
    values: dict[str, object] = {"rating": 4, "text": "Fine.", "title": None, **draft}

    with pytest.raises(InvalidInput) as refused:
        ReviewDraft(**values)  # type: ignore[arg-type]

    assert refused.value.code == code
    assert refused.value.errors[0].field == f"body.{code.removeprefix('invalid_')}"


def test_a_draft_is_trimmed_and_a_blank_title_is_no_title() -> None:
    draft = ReviewDraft(5, "  Lovely.\n", title="   ")

    assert (draft.text, draft.title) == ("Lovely.", None)
    assert ReviewDraft(5, "x" * 5000, title="t" * 120).title == "t" * 120


# ---------------------------------------------------------------------- the name shown
@pytest.mark.parametrize(
    ("given_name", "name", "shown"),
    [
        ("Ada", "Ada King Lovelace", "Ada"),
        (None, "Ada King Lovelace", "Ada"),
        ("  Grace  ", None, "Grace"),
        (None, None, VERIFIED_BUYER),
        ("", "   ", VERIFIED_BUYER),
        (None, "ada@example.com", VERIFIED_BUYER),
        ("Zoë\u200b\x00", None, "Zoë"),
        ("A" * 100, None, "A" * MAX_NAME_LENGTH),
    ],
    ids=["given", "full-name", "padded", "none", "blank", "email", "control-chars", "long"],
)
def test_only_a_first_name_is_ever_shown_or_else_verified_buyer(
    given_name: str | None, name: str | None, shown: str
) -> None:
    assert display_name(given_name, name) == shown


# ---------------------------------------------------------------------- order of reviews
def _review(at: datetime, review_id: str | None = None) -> Review:
    return Review(review_id or new_id(), "earbuds", "customer-1", "Ada", 5, "Lovely.", at)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(days=3650)),
)
def test_a_later_review_always_has_a_later_created_key(at: datetime, later_by: timedelta) -> None:
    earlier, later = _review(at), _review(at + later_by)

    assert earlier.created_key < later.created_key
    assert Review.is_created_key(earlier.created_key)


def test_two_reviews_of_one_millisecond_still_have_distinct_ordered_keys() -> None:
    first, second = _review(NOW), _review(NOW)

    assert first.created_key != second.created_key
    assert first.created_key < second.created_key  # ULIDs of one process are monotonic


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2026-03-01T09:30:00.000Z",
        "2026-03-01T09:30:00Z#" + "A" * 26,
        "2026-03-01T09:30:00.000Z#short",
        "2026-03-01T09:30:00.000Z#" + "A" * 26 + "\n",
    ],
)
def test_anything_but_a_created_key_is_recognised_as_not_one(value: str) -> None:
    assert not Review.is_created_key(value)
