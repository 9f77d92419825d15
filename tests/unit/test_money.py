"""Specification of Money: integer minor units of one supported currency, never floats."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.money import CURRENCY_EXPONENTS, Money, is_supported_currency

amounts = st.integers(min_value=-(10**12), max_value=10**12)
currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))


# ------------------------------------------------------------------------------------------------ construction


def test_amount_is_kept_in_integer_minor_units() -> None:
    price = Money(1999, "EUR")

    assert price.amount == 1999
    assert type(price.amount) is int
    assert price.currency == "EUR"


@pytest.mark.parametrize("amount", [19.99, 20.0, True, False, "1999", None])
def test_non_integer_amounts_are_rejected(amount: Any) -> None:
    # GIVEN a float, a bool (an int subclass) or anything else that is not an int
    # WHEN it is used as an amount THEN Money refuses it
    with pytest.raises(TypeError, match="minor units"):
        Money(amount, "EUR")


@pytest.mark.parametrize("currency", ["XXX", "eur", "", "BTC", "EURO"])
def test_unsupported_currency_is_rejected(currency: str) -> None:
    assert not is_supported_currency(currency)
    with pytest.raises(ValueError, match="unsupported currency"):
        Money(100, currency)


def test_zero_is_an_amount_of_nothing_in_that_currency() -> None:
    assert Money.zero("JPY") == Money(0, "JPY")


def test_money_is_immutable() -> None:
    price = Money(100, "USD")

    with pytest.raises(AttributeError):
        price.amount = 200  # type: ignore[misc]


def test_equal_amounts_of_different_currencies_are_not_equal() -> None:
    assert Money(100, "USD") != Money(100, "EUR")
    assert Money(100, "USD") == Money(100, "USD")


# ------------------------------------------------------------------------------------------------ arithmetic


def test_adding_and_subtracting_the_same_currency() -> None:
    assert Money(1050, "GBP") + Money(275, "GBP") == Money(1325, "GBP")
    assert Money(1050, "GBP") - Money(1275, "GBP") == Money(-225, "GBP")


def test_multiplying_by_a_quantity_on_either_side() -> None:
    assert Money(250, "USD") * 3 == Money(750, "USD")
    assert 3 * Money(250, "USD") == Money(750, "USD")


@pytest.mark.parametrize("factor", [1.5, 2.0, True])
def test_multiplying_by_anything_but_an_int_is_refused(factor: Any) -> None:
    with pytest.raises(TypeError):
        Money(250, "USD") * factor


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
    ],
    ids=["add", "sub", "lt", "le"],
)
def test_mixing_currencies_is_an_error_not_a_conversion(combine: Any) -> None:
    with pytest.raises(ValueError, match="cannot combine USD with EUR"):
        combine(Money(100, "USD"), Money(100, "EUR"))


def test_amounts_of_one_currency_compare_by_value() -> None:
    assert Money(99, "USD") < Money(100, "USD")
    assert Money(100, "USD") <= Money(100, "USD")
    assert not Money(101, "USD") <= Money(100, "USD")
    assert Money(101, "USD") > Money(100, "USD")


@settings(database=None)
@given(currency=currencies, a=amounts, b=amounts, c=amounts)
def test_addition_is_associative_and_commutative_within_a_currency(
    currency: str, a: int, b: int, c: int
) -> None:
    x, y, z = Money(a, currency), Money(b, currency), Money(c, currency)

    assert x + y == y + x
    assert (x + y) + z == x + (y + z)
    assert (x + y).amount == a + b


@settings(database=None)
@given(currency=currencies, a=amounts, b=amounts)
def test_subtraction_undoes_addition(currency: str, a: int, b: int) -> None:
    x, y = Money(a, currency), Money(b, currency)

    assert (x + y) - y == x
    assert x - x == Money.zero(currency)


# ------------------------------------------------------------------------------------------------ formatting


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1999, "EUR"), "19.99 EUR"),
        (Money(5, "USD"), "0.05 USD"),
        (Money(100, "GBP"), "1.00 GBP"),
        (Money(0, "USD"), "0.00 USD"),
        (Money(-5, "USD"), "-0.05 USD"),
        (Money(-1050, "CHF"), "-10.50 CHF"),
        (Money(1500, "JPY"), "1500 JPY"),
        (Money(-1500, "JPY"), "-1500 JPY"),
        (Money(0, "KRW"), "0 KRW"),
    ],
)
def test_str_shows_major_units_with_the_currencys_own_number_of_digits(money: Money, text: str) -> None:
    assert str(money) == text
