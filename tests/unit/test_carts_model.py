"""Specification of the cart aggregate and of the view a shopper gets of it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.carts.model import (
    CART_TTL,
    MAX_LINES,
    MAX_QUANTITY,
    Cart,
    LineWarning,
    SkipReason,
    is_guest_cart_id,
    new_guest_cart_id,
    price_cart,
)
from commerce.catalog.model import Product, ProductImage, ProductStatus
from commerce.errors import Conflict, InvalidInput
from commerce.money import Money

T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
CUSTOMER_ID = "4f0c2d1e-7a4b-4a8e-9d55-1b2c3d4e5f60"


def product(
    product_id: str = "p-1", amount: int = 1000, currency: str = "USD", **overrides: object
) -> Product:
    values: dict[str, object] = {
        "product_id": product_id,
        "seller_id": "seller-1",
        "name": f"Product {product_id}",
        "description": "",
        "price": Money(amount, currency),
        "category_id": "c-1",
        "created_at": T0,
        "updated_at": T0,
        "images": (
            ProductImage("https://img/t.jpg", "https://img/m.jpg", "https://img/l.jpg", "https://img/z.jpg"),
        ),
    }
    values.update(overrides)
    return Product(**values)  # type: ignore[arg-type]


def cart_with(*lines: tuple[Product, int], at: datetime = T0) -> Cart:
    cart = Cart(CUSTOMER_ID)
    for item, quantity in lines:
        cart = cart.with_line(item, quantity, at)
    return cart


# ---------------------------------------------------------------------- ids
def test_guest_cart_ids_are_g_and_32_random_hex_characters() -> None:
    ids = {new_guest_cart_id() for _ in range(200)}

    assert len(ids) == 200
    assert all(re.fullmatch(r"g_[0-9a-f]{32}", cart_id) for cart_id in ids)
    assert all(is_guest_cart_id(cart_id) for cart_id in ids)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "g_",
        "g_" + "a" * 31,
        "g_" + "a" * 33,
        "g_" + "A" * 32,
        "x_" + "a" * 32,
        "g_" + "a" * 32 + "\n",
        CUSTOMER_ID,
    ],
)
def test_anything_else_is_not_a_guest_cart_id(value: str) -> None:
    assert not is_guest_cart_id(value)


# ---------------------------------------------------------------------- lines
def test_adding_a_line_remembers_the_price_seen_and_renews_the_cart() -> None:
    cart = Cart(CUSTOMER_ID).with_line(product(amount=2599), 2, T0)

    line = cart.line("p-1")
    assert line is not None
    assert (line.quantity, line.unit_price, line.added_at) == (2, Money(2599, "USD"), T0)
    assert (line.name, line.image) == ("Product p-1", "https://img/t.jpg")
    assert cart.version == 1
    assert cart.expires_at == T0 + CART_TTL
    assert cart.currency == "USD"
    assert cart.item_count == 2


def test_setting_a_line_again_changes_quantity_and_price_but_keeps_when_it_was_added() -> None:
    cart = cart_with((product(amount=1000), 1))

    cart = cart.with_line(product(amount=900), 3, T1)

    line = cart.line("p-1")
    assert line is not None
    assert (line.quantity, line.unit_price, line.added_at, line.updated_at) == (3, Money(900, "USD"), T0, T1)
    assert len(cart.lines) == 1
    assert cart.version == 2
    assert cart.expires_at == T1 + CART_TTL


def test_expiry_is_kept_to_the_whole_second_never_later_than_24_hours() -> None:
    cart = cart_with((product(), 1), at=T0 + timedelta(milliseconds=750))

    assert cart.expires_at == T0 + CART_TTL


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1, True, 1.5, "2"])
def test_a_quantity_is_a_whole_number_from_1_to_99(quantity: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        Cart(CUSTOMER_ID).with_line(product(), quantity, T0)  # type: ignore[arg-type]

    assert raised.value.code == "invalid_quantity"


def test_a_cart_has_one_currency() -> None:
    cart = cart_with((product("p-1", currency="USD"), 1))

    with pytest.raises(Conflict) as raised:
        cart.with_line(product("p-2", currency="EUR"), 1, T1)

    assert raised.value.code == "currency_mismatch"
    assert raised.value.extra == {"cart_currency": "USD"}


def test_the_only_line_may_be_reset_in_a_new_currency() -> None:
    cart = cart_with((product("p-1", currency="USD"), 1))

    cart = cart.with_line(product("p-1", currency="EUR"), 1, T1)

    assert cart.currency == "EUR"


def test_a_cart_holds_at_most_50_products() -> None:
    cart = cart_with(*[(product(f"p-{i}"), 1) for i in range(MAX_LINES)])

    with pytest.raises(Conflict) as raised:
        cart.with_line(product("one-more"), 1, T1)

    assert raised.value.code == "cart_full"
    assert cart.with_line(product("p-0"), 5, T1).item_count == MAX_LINES + 4, "changing a line is fine"


def test_removing_a_line_that_is_not_there_changes_nothing() -> None:
    cart = cart_with((product("p-1"), 1))

    assert cart.without_line("p-2", T1) is cart
    removed = cart.without_line("p-1", T1)
    assert removed.lines == ()
    assert removed.version == 2
    assert removed.without_line("p-1", T1) is removed


def test_emptying_is_idempotent() -> None:
    cart = cart_with((product("p-1"), 1), (product("p-2"), 2))

    emptied = cart.emptied(T1)

    assert emptied.lines == ()
    assert emptied.currency is None
    assert emptied.emptied(T1) is emptied


# ---------------------------------------------------------------------- expiry
def test_exactly_24_hours_after_the_last_change_the_cart_is_empty() -> None:
    cart = cart_with((product(), 1))

    assert cart.as_of(T0 + CART_TTL - timedelta(seconds=1)) is cart
    expired = cart.as_of(T0 + CART_TTL)

    assert cart.is_expired(T0 + CART_TTL)
    assert expired.lines == ()
    assert expired.expires_at is None
    assert expired.version == cart.version, "the next write replaces exactly what was stored"


def test_writing_to_an_expired_cart_starts_from_empty() -> None:
    later = T0 + CART_TTL + timedelta(hours=1)
    cart = cart_with((product("p-1", currency="USD"), 5)).as_of(later)

    cart = cart.with_line(product("p-2", currency="EUR"), 1, later)

    assert cart.product_ids == ["p-2"]
    assert cart.created_at == later
    assert cart.version == 2


# ---------------------------------------------------------------------- merging
def test_merging_sums_quantities_capped_at_99_and_adds_new_lines() -> None:
    mine = cart_with((product("p-1", amount=1000), 60), (product("p-2"), 1))
    guest = replace(
        cart_with((product("p-1", amount=950), 50), (product("p-3"), 2), at=T1), cart_id=new_guest_cart_id()
    )

    merged, skipped = mine.merged_with(guest, T1)

    assert skipped == []
    assert [(line.product_id, line.quantity) for line in merged.lines] == [
        ("p-1", 99),
        ("p-2", 1),
        ("p-3", 2),
    ]
    p1 = merged.line("p-1")
    assert p1 is not None
    assert p1.unit_price == Money(950, "USD"), "the price seen most recently"
    assert p1.added_at == T0
    assert merged.version == mine.version + 1


def test_merging_skips_lines_in_another_currency_and_beyond_the_line_limit() -> None:
    mine = cart_with(*[(product(f"p-{i}", currency="USD"), 1) for i in range(MAX_LINES - 1)])
    guest_usd = cart_with((product("new-1"), 1), (product("new-2"), 3))
    guest_eur = cart_with((product("eur", currency="EUR"), 4))

    merged, skipped = mine.merged_with(guest_usd, T1)
    _, skipped_eur = mine.merged_with(guest_eur, T1)

    assert len(merged.lines) == MAX_LINES
    assert [(s.product_id, s.quantity, s.reason) for s in skipped] == [("new-2", 3, SkipReason.CART_FULL)]
    assert [(s.product_id, s.reason) for s in skipped_eur] == [("eur", SkipReason.CURRENCY_MISMATCH)]


def test_merging_into_an_empty_cart_takes_the_guest_currency() -> None:
    merged, skipped = Cart(CUSTOMER_ID).merged_with(cart_with((product("eur", currency="EUR"), 4)), T1)

    assert skipped == []
    assert merged.currency == "EUR"
    assert merged.version == 1


# ---------------------------------------------------------------------- the view
def test_the_view_prices_lines_at_the_current_price() -> None:
    a, b = product("p-1", amount=1000), product("p-2", amount=250)
    cart = cart_with((a, 2), (b, 4))

    view = price_cart(cart, {"p-1": a, "p-2": b}, {"p-1": 10, "p-2": 10})

    assert [(line.product_id, line.subtotal.amount, line.warnings) for line in view.lines] == [
        ("p-1", 2000, ()),
        ("p-2", 1000, ()),
    ]
    assert view.total == Money(3000, "USD")
    assert view.item_count == 6
    assert view.currency == "USD"
    assert view.expires_at == T0 + CART_TTL


def test_a_changed_price_is_flagged_with_the_previous_one() -> None:
    cart = cart_with((product("p-1", amount=1000), 2))

    view = price_cart(cart, {"p-1": product("p-1", amount=1200)}, {"p-1": 10})

    line = view.lines[0]
    assert line.warnings == (LineWarning.PRICE_CHANGED,)
    assert line.unit_price == Money(1200, "USD")
    assert line.previous_unit_price == Money(1000, "USD")
    assert view.total == Money(2400, "USD")


def test_too_little_stock_is_flagged_with_what_is_available() -> None:
    cart = cart_with((product("p-1"), 5))

    line = price_cart(cart, {"p-1": product("p-1")}, {"p-1": 3}).lines[0]

    assert line.warnings == (LineWarning.INSUFFICIENT_STOCK,)
    assert line.available == 3
    assert line.previous_unit_price is None


def test_archived_and_vanished_products_stay_visible_but_are_not_counted() -> None:
    kept, archived = product("p-1", amount=500), product("p-2", amount=700, status=ProductStatus.ARCHIVED)
    cart = cart_with((kept, 1), (archived, 1), (product("p-3", amount=900), 1))

    view = price_cart(cart, {"p-1": kept, "p-2": archived}, {"p-1": 5, "p-2": 5, "p-3": 5})

    by_id = {line.product_id: line for line in view.lines}
    assert by_id["p-2"].warnings == by_id["p-3"].warnings == (LineWarning.UNAVAILABLE,)
    assert by_id["p-2"].subtotal == by_id["p-3"].subtotal == Money(0, "USD")
    assert by_id["p-3"].name == "Product p-3", "the name seen when the line was set"
    assert view.total == Money(500, "USD")


def test_a_product_repriced_in_another_currency_is_unavailable_in_this_cart() -> None:
    cart = cart_with((product("p-1", currency="USD"), 1))

    view = price_cart(cart, {"p-1": product("p-1", currency="EUR")}, {"p-1": 5})

    assert view.lines[0].warnings == (LineWarning.UNAVAILABLE,)
    assert view.total == Money(0, "USD")


def test_an_empty_customer_cart_has_no_total_and_no_expiry_but_a_guest_cart_shows_when_it_ends() -> None:
    empty = price_cart(Cart(CUSTOMER_ID), {}, {})
    guest = Cart.new_guest(T0)
    guest_view = price_cart(guest, {}, {})

    assert (empty.total, empty.expires_at, empty.currency, empty.item_count) == (None, None, None, 0)
    assert guest_view.expires_at == T0 + CART_TTL
    assert guest_view.total is None


# ---------------------------------------------------------------------- invariants
actions = st.lists(
    st.tuples(
        st.sampled_from(["set", "remove", "empty"]),
        st.integers(min_value=0, max_value=60),
        st.integers(min_value=1, max_value=MAX_QUANTITY),
        st.sampled_from(["USD", "EUR"]),
    ),
    max_size=120,
)


@given(actions)
def test_whatever_a_shopper_does_a_cart_keeps_its_rules(steps: list[tuple[str, int, int, str]]) -> None:
    cart = Cart(CUSTOMER_ID)
    now = T0
    for action, index, quantity, currency in steps:
        now += timedelta(seconds=1)
        try:
            if action == "set":
                cart = cart.with_line(product(f"p-{index}", currency=currency), quantity, now)
            elif action == "remove":
                cart = cart.without_line(f"p-{index}", now)
            else:
                cart = cart.emptied(now)
        except Conflict:
            pass
        assert len(cart.lines) <= MAX_LINES
        assert len({line.unit_price.currency for line in cart.lines}) <= 1
        assert len(set(cart.product_ids)) == len(cart.lines)
        assert all(1 <= line.quantity <= MAX_QUANTITY for line in cart.lines)
