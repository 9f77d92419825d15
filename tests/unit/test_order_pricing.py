"""Specification of checkout pricing: shipping, tax and totals from a configurable rule table."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.errors import InvalidInput
from commerce.money import CURRENCY_EXPONENTS, MAX_AMOUNT, Money
from commerce.orders.pricing import (
    MAX_BASIS_POINTS,
    PricedLine,
    PricingRules,
    Quote,
    ShippingRate,
    TaxRate,
    quote,
)
from commerce.settings import ConfigurationError

RULES = PricingRules.default()


def line(amount: int, quantity: int = 1, currency: str = "USD", product_id: str = "p-1") -> PricedLine:
    return PricedLine(product_id, "s-1", Money(amount, currency), quantity)


def untaxed(shipping: ShippingRate, currency: str = "USD") -> PricingRules:
    return PricingRules(shipping={currency: shipping}, tax={})


def taxed(basis_points: int, *, on_shipping: bool = True, flat: int = 0) -> PricingRules:
    return PricingRules(
        shipping={"USD": ShippingRate(flat)}, tax={"GB": TaxRate(basis_points, on_shipping=on_shipping)}
    )


def rules_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "shipping": {"USD": {"flat": 599, "per_extra_item": 100, "free_from": 5000}},
        "tax": {"GB": {"basis_points": 2000}},
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------------------------------------ lines


def test_a_line_costs_its_unit_price_times_its_quantity() -> None:
    assert line(1999, 3).subtotal == Money(5997, "USD")


# ------------------------------------------------------------------------------------------------ shipping


def test_shipping_is_free_when_the_subtotal_reaches_the_threshold_exactly() -> None:
    priced = quote([line(2500, 2)], "US", RULES)

    assert priced.subtotal == Money(5000, "USD")
    assert priced.shipping == Money(0, "USD")


def test_shipping_is_charged_one_minor_unit_below_the_threshold() -> None:
    priced = quote([line(4999)], "US", RULES)

    assert priced.shipping == Money(599, "USD")


def test_each_unit_after_the_first_adds_the_per_extra_item_charge() -> None:
    # GIVEN 3 units over two lines WHEN quoted THEN flat for the first and two extras
    priced = quote([line(1000, 2), line(500, 1, product_id="p-2")], "US", RULES)

    assert priced.subtotal == Money(2500, "USD")
    assert priced.shipping == Money(599 + 2 * 100, "USD")


def test_without_a_free_threshold_shipping_is_always_charged() -> None:
    rules = untaxed(ShippingRate(flat=300, per_extra_item=50))

    assert quote([line(1_000_000, 3)], "US", rules).shipping == Money(400, "USD")


def test_a_country_override_wins_over_the_currency_rate() -> None:
    rules = PricingRules(
        shipping={"AUD": ShippingRate(799, 100, 7000), "USD": ShippingRate(599)},
        tax={},
        shipping_overrides={"AU": {"AUD": ShippingRate(1499, 200)}},
    )

    assert quote([line(10_000, 2, "AUD")], "AU", rules).shipping == Money(1499 + 200, "AUD")
    # the override is for AUD only: other currencies to AU, and AUD elsewhere, use the currency rate
    assert quote([line(100, 1, "USD")], "AU", rules).shipping == Money(599, "USD")
    assert quote([line(100, 1, "AUD")], "NZ", rules).shipping == Money(799, "AUD")


def test_a_country_override_can_ship_a_currency_that_has_no_rate_of_its_own() -> None:
    rules = PricingRules(shipping={}, tax={}, shipping_overrides={"CH": {"CHF": ShippingRate(900)}})

    assert quote([line(100, 1, "CHF")], "CH", rules).shipping == Money(900, "CHF")


def test_a_currency_without_a_shipping_rate_cannot_be_shipped() -> None:
    with pytest.raises(InvalidInput) as raised:
        quote([line(1000, 1, "CHF")], "ch", RULES)

    assert raised.value.code == "shipping_unavailable"
    assert "CHF" in raised.value.detail
    assert "CH" in raised.value.detail.replace("CHF", "")
    assert raised.value.extra == {"currency": "CHF", "country": "CH"}


# ------------------------------------------------------------------------------------------------ tax


def test_tax_applies_to_the_subtotal_and_shipping_when_the_country_says_so() -> None:
    # GB: 20 % of (1000 + 449) = 289.8 -> 290
    priced = quote([line(1000, 1, "GBP")], "GB", RULES)

    assert priced.shipping == Money(449, "GBP")
    assert priced.tax == Money(290, "GBP")
    assert priced.total == Money(1000 + 449 + 290, "GBP")
    assert priced.tax_rate_basis_points == 2000


def test_tax_applies_to_the_subtotal_only_when_shipping_is_exempt() -> None:
    rules = taxed(2000, on_shipping=False, flat=500)

    priced = quote([line(1000)], "GB", rules)

    assert priced.tax == Money(200, "USD")
    assert priced.total == Money(1700, "USD")


def test_a_country_not_in_the_table_pays_the_default_tax() -> None:
    rules = PricingRules(shipping={"EUR": ShippingRate(0)}, tax={}, default_tax=TaxRate(1000))

    priced = quote([line(1000, 1, "EUR")], "PT", rules)

    assert priced.tax == Money(100, "EUR")
    assert priced.tax_rate_basis_points == 1000


def test_the_built_in_table_charges_no_us_sales_tax() -> None:
    assert quote([line(1000)], "US", RULES).tax == Money(0, "USD")


@pytest.mark.parametrize(
    ("taxable", "basis_points", "tax"),
    [
        (5, 1000, 1),  # 0.5 -> 1: half rounds up
        (15, 1000, 2),  # 1.5 -> 2
        (14, 1000, 1),  # 1.4 -> 1
        (16, 1000, 2),  # 1.6 -> 2
        (25, 2000, 5),  # exact
        (1, 4999, 0),  # 0.4999 -> 0
        (1, 5000, 1),  # 0.5 -> 1
        (1, MAX_BASIS_POINTS, 1),
        (0, 2000, 0),
    ],
)
def test_tax_is_rounded_half_up_to_the_minor_unit(taxable: int, basis_points: int, tax: int) -> None:
    assert quote([line(taxable)], "GB", taxed(basis_points)).tax == Money(tax, "USD")


def test_a_zero_decimal_currency_is_priced_in_whole_units() -> None:
    # JPY: 3 x 1200 = 3600, shipping 800 + 2 x 100 = 1000, 10 % tax on 4600 = 460
    priced = quote([line(1200, 3, "JPY")], "JP", RULES)

    assert priced == Quote(
        subtotal=Money(3600, "JPY"),
        shipping=Money(1000, "JPY"),
        tax=Money(460, "JPY"),
        total=Money(5060, "JPY"),
        tax_rate_basis_points=1000,
    )
    assert str(priced.total) == "5060 JPY"


def test_the_destination_country_is_read_in_any_case() -> None:
    assert quote([line(1000, 1, "EUR")], "de", RULES) == quote([line(1000, 1, "EUR")], "DE", RULES)


# ------------------------------------------------------------------------------------------------ refusals


def test_lines_in_more_than_one_currency_are_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        quote([line(1000, 1, "USD"), line(1000, 1, "EUR", "p-2")], "US", RULES)

    assert raised.value.code == "currency_mismatch"


def test_an_empty_cart_cannot_be_quoted() -> None:
    with pytest.raises(InvalidInput) as raised:
        quote([], "US", RULES)

    assert raised.value.code == "cart_empty"


@pytest.mark.parametrize("country", ["", "U", "USA", "U1", "ß", "ÄB", " us"])
def test_a_destination_that_is_not_a_two_letter_code_is_refused(country: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        quote([line(1000)], country, RULES)

    assert raised.value.code == "invalid_country"
    assert [error.field for error in raised.value.errors] == ["country"]


@pytest.mark.parametrize("quantity", [0, -1, True, 1.0, "1"])
def test_a_line_without_a_whole_positive_quantity_is_refused(quantity: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        quote([line(1000), line(1000, quantity, product_id="p-2")], "US", RULES)

    assert raised.value.code == "invalid_quantity"
    assert [error.field for error in raised.value.errors] == ["lines[1].quantity"]


def test_a_line_with_a_negative_price_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        quote([line(-1)], "US", RULES)

    assert raised.value.code == "invalid_price"


def test_an_order_costing_more_than_the_platform_stores_is_refused() -> None:
    assert quote([line(MAX_AMOUNT)], "US", RULES).total == Money(MAX_AMOUNT, "USD")
    with pytest.raises(InvalidInput) as raised:
        quote([line(MAX_AMOUNT)], "GB", taxed(1))

    assert raised.value.code == "order_too_large"


# ------------------------------------------------------------------------------------------------ rules


@pytest.mark.parametrize(
    "make",
    [
        lambda: ShippingRate(-1),
        lambda: ShippingRate(0, -1),
        lambda: ShippingRate(0, 0, -1),
        lambda: ShippingRate(True),
        lambda: TaxRate(-1),
        lambda: TaxRate(MAX_BASIS_POINTS + 1),
        lambda: TaxRate(True),
        lambda: PricingRules(shipping={"XXX": ShippingRate(0)}, tax={}),
        lambda: PricingRules(shipping={}, tax={"gb": TaxRate(0)}),
        lambda: PricingRules(shipping={}, tax={}, shipping_overrides={"GBR": {}}),
    ],
)
def test_a_rate_or_table_that_breaks_its_invariants_cannot_be_built(make: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        make()


def test_the_rule_table_does_not_change_when_its_source_does() -> None:
    shipping = {"USD": ShippingRate(100)}
    rules = PricingRules(shipping=shipping, tax={})

    shipping["USD"] = ShippingRate(999)
    shipping["EUR"] = ShippingRate(1)

    assert dict(rules.shipping) == {"USD": ShippingRate(100)}
    with pytest.raises(TypeError):
        rules.shipping["USD"] = ShippingRate(0)  # type: ignore[index]


def test_the_built_in_table_reads_back_from_its_own_mapping() -> None:
    assert PricingRules.from_mapping(RULES.to_mapping()) == RULES
    assert PricingRules.from_json(json.dumps(RULES.to_mapping())) == RULES


def test_the_built_in_table_ships_the_documented_currencies() -> None:
    assert set(RULES.shipping) == {"USD", "EUR", "GBP", "JPY", "CAD", "AUD"}
    assert RULES.shipping["GBP"] == ShippingRate(449, 100, 4500)
    assert RULES.tax["IE"] == TaxRate(2300)
    assert RULES.default_tax == TaxRate(0)


def test_rules_parse_from_json_with_defaults_for_optional_settings() -> None:
    rules = PricingRules.from_json(
        """{
          "shipping": {"EUR": {"flat": 499}, "USD": {"flat": 599, "per_extra_item": 100, "free_from": null}},
          "tax": {"FR": {"basis_points": 2000, "on_shipping": false}},
          "default_tax": {"basis_points": 500},
          "shipping_overrides": {"GF": {"EUR": {"flat": 2500, "per_extra_item": 500}}}
        }"""
    )

    assert rules == PricingRules(
        shipping={"EUR": ShippingRate(499), "USD": ShippingRate(599, 100)},
        tax={"FR": TaxRate(2000, on_shipping=False)},
        default_tax=TaxRate(500),
        shipping_overrides={"GF": {"EUR": ShippingRate(2500, 500)}},
    )


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        (rules_data(shipping={"USD": {"flat": -1}}), "shipping.USD.flat", "must be a non-negative integer"),
        (rules_data(shipping={"USD": {"flat": 5.99}}), "shipping.USD.flat", "must be a non-negative integer"),
        (
            rules_data(shipping={"USD": {"flat": 599.0}}),
            "shipping.USD.flat",
            "must be a non-negative integer",
        ),
        (rules_data(shipping={"USD": {"flat": True}}), "shipping.USD.flat", "must be a non-negative integer"),
        (
            rules_data(shipping={"USD": {"flat": "599"}}),
            "shipping.USD.flat",
            "must be a non-negative integer",
        ),
        (rules_data(shipping={"USD": {}}), "shipping.USD.flat", "is required"),
        (
            rules_data(shipping={"USD": {"flat": 1, "per_extra_item": -5}}),
            "shipping.USD.per_extra_item",
            "must be a non-negative integer",
        ),
        (
            rules_data(shipping={"USD": {"flat": 1, "free_from": False}}),
            "shipping.USD.free_from",
            "must be a non-negative integer",
        ),
        (
            rules_data(shipping={"USD": {"flat": 1, "fixed": 2}}),
            "shipping.USD.fixed",
            "is not a known setting",
        ),
        (rules_data(shipping={"XXX": {"flat": 1}}), "shipping.XXX", "is not a supported currency"),
        (rules_data(shipping={"usd": {"flat": 1}}), "shipping.usd", "is not a supported currency"),
        (rules_data(shipping={"USD": 599}), "shipping.USD", "must be an object"),
        (rules_data(shipping=[]), "shipping", "must be an object"),
        (
            rules_data(tax={"GB": {"basis_points": 10_001}}),
            "tax.GB.basis_points",
            "must be an integer from 0 to 10000",
        ),
        (
            rules_data(tax={"GB": {"basis_points": -1}}),
            "tax.GB.basis_points",
            "must be an integer from 0 to 10000",
        ),
        (
            rules_data(tax={"GB": {"basis_points": 20.0}}),
            "tax.GB.basis_points",
            "must be an integer from 0 to 10000",
        ),
        (
            rules_data(tax={"GB": {"basis_points": False}}),
            "tax.GB.basis_points",
            "must be an integer from 0 to 10000",
        ),
        (rules_data(tax={"GB": {}}), "tax.GB.basis_points", "is required"),
        (
            rules_data(tax={"GB": {"basis_points": 2000, "on_shipping": 1}}),
            "tax.GB.on_shipping",
            "must be true or false",
        ),
        (rules_data(tax={"GBR": {"basis_points": 2000}}), "tax.GBR", "is not an ISO 3166-1 alpha-2"),
        (rules_data(tax={"gb": {"basis_points": 2000}}), "tax.gb", "is not an ISO 3166-1 alpha-2"),
        (
            rules_data(default_tax={"basis_points": 1, "rate": 2}),
            "default_tax.rate",
            "is not a known setting",
        ),
        (
            rules_data(shipping_overrides={"AU": {"AUD": {"flat": -1}}}),
            "shipping_overrides.AU.AUD.flat",
            "must be a non-negative integer",
        ),
        (
            rules_data(shipping_overrides={"AU": {"BTC": {"flat": 1}}}),
            "shipping_overrides.AU.BTC",
            "is not a supported currency",
        ),
        (rules_data(shipping_overrides={"A1": {}}), "shipping_overrides.A1", "is not an ISO 3166-1 alpha-2"),
        (rules_data(taxes={}), "taxes", "is not a known setting"),
        ({"tax": {}}, "shipping", "is required"),
        ({"shipping": {}}, "tax", "is required"),
    ],
)
def test_bad_rules_are_an_operators_error_naming_the_offending_path(
    data: dict[str, Any], path: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        PricingRules.from_mapping(data)

    assert raised.value.code == "misconfigured"
    assert raised.value.detail.startswith(f"pricing rules: {path} {problem}")
    assert [error.field for error in raised.value.errors] == [path]


def test_the_error_message_reads_as_a_sentence_an_operator_can_act_on() -> None:
    with pytest.raises(ConfigurationError) as raised:
        PricingRules.from_mapping(rules_data(shipping={"USD": {"flat": -599}}))

    assert str(raised.value) == "pricing rules: shipping.USD.flat must be a non-negative integer"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "is not valid JSON"),
        ("[]", "must be an object"),
        ('{"shipping": {"USD": {"flat": 1, "flat": 2}}, "tax": {}}', "has the key 'flat' twice"),
        ('{"shipping": {"USD": {"flat": NaN}}, "tax": {}}', "must be a non-negative integer"),
    ],
)
def test_bad_json_rules_are_an_operators_error(text: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        PricingRules.from_json(text)


def test_pricing_needs_no_pydantic() -> None:
    # GIVEN pydantic cannot be imported WHEN the rules are used THEN pricing still works
    code = (
        "import sys; sys.modules['pydantic'] = None\n"
        "from commerce.money import Money\n"
        "from commerce.orders.pricing import PricedLine, PricingRules, quote\n"
        "print(quote([PricedLine('p', 's', Money(100, 'USD'), 1)], 'US', PricingRules.default()).total)\n"
    )
    layer = Path(__file__).resolve().parents[2] / "layers" / "commerce"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(layer)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "6.99 USD"


# ------------------------------------------------------------------------------------------------ properties

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
amounts = st.integers(min_value=0, max_value=100_000)
shipping_rates = st.builds(
    ShippingRate,
    flat=amounts,
    per_extra_item=st.integers(min_value=0, max_value=1_000),
    free_from=st.none() | amounts,
)
tax_rates = st.builds(
    TaxRate, basis_points=st.integers(min_value=0, max_value=MAX_BASIS_POINTS), on_shipping=st.booleans()
)


@st.composite
def carts(draw: st.DrawFn) -> tuple[list[PricedLine], PricingRules, ShippingRate, TaxRate]:
    currency = draw(currencies)
    lines = draw(
        st.lists(
            st.builds(
                PricedLine,
                product_id=st.sampled_from(["p-1", "p-2", "p-3"]),
                seller_id=st.sampled_from(["s-1", "s-2"]),
                unit_price=st.builds(Money, amount=amounts, currency=st.just(currency)),
                quantity=st.integers(min_value=1, max_value=99),
            ),
            min_size=1,
            max_size=10,
        )
    )
    shipping, tax = draw(shipping_rates), draw(tax_rates)
    rules = PricingRules(shipping={currency: shipping}, tax={"FR": tax}, default_tax=draw(tax_rates))
    return lines, rules, shipping, tax


@settings(max_examples=300)
@given(carts())
def test_the_total_is_subtotal_plus_shipping_plus_a_tax_never_above_what_is_taxed(
    cart: tuple[list[PricedLine], PricingRules, ShippingRate, TaxRate],
) -> None:
    lines, rules, rate, tax_rate = cart

    priced = quote(lines, "FR", rules)

    assert priced.total == priced.subtotal + priced.shipping + priced.tax
    assert priced.subtotal.amount == sum(line.subtotal.amount for line in lines)
    taxable = priced.subtotal.amount + (priced.shipping.amount if tax_rate.on_shipping else 0)
    assert 0 <= priced.tax.amount <= taxable
    assert priced.tax_rate_basis_points == tax_rate.basis_points
    # half up: the exact tax rounds to the quoted one, within half a minor unit (ties upward)
    exact = Fraction(taxable * tax_rate.basis_points, MAX_BASIS_POINTS)
    assert exact - Fraction(1, 2) < priced.tax.amount <= exact + Fraction(1, 2)
    assert all(type(money.amount) is int for money in (priced.subtotal, priced.shipping, priced.tax))
    if rate.free_from is not None and priced.subtotal.amount >= rate.free_from:
        assert priced.shipping.amount == 0
    else:
        units = sum(line.quantity for line in lines)
        assert priced.shipping.amount == rate.flat + rate.per_extra_item * (units - 1)
