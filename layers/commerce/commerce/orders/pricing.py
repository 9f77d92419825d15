"""What a checkout costs: subtotal, shipping and tax from a small rule table, free of I/O.

Checkout prices every line from the catalogue (never from the client) and hands the lines
here. The rules are data, so operators can change a rate without a deploy: shipping is set
per currency (optionally overridden per destination country), tax per destination country.
All arithmetic is on integer minor units; tax is rounded half up to the minor unit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeGuard

from commerce.errors import FieldError, InvalidInput
from commerce.money import MAX_AMOUNT, Money, is_supported_currency

if TYPE_CHECKING:
    from commerce.settings import ConfigurationError

__all__ = [
    "MAX_BASIS_POINTS",
    "PricedLine",
    "PricingRules",
    "Quote",
    "ShippingRate",
    "TaxRate",
    "quote",
]

#: 100.00 %: a tax rate is at most the taxable amount itself.
MAX_BASIS_POINTS = 10_000


def _is_int(value: object) -> TypeGuard[int]:
    """An ``int`` and not a ``bool`` (which is an ``int`` subclass)."""
    return type(value) is int


def _is_country(code: object) -> TypeGuard[str]:
    """Two capital ASCII letters, the shape of an ISO 3166-1 alpha-2 code."""
    return isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()


def _check_amount(owner: str, name: str, value: object) -> None:
    if not _is_int(value):
        raise TypeError(f"{owner}.{name} must be an int of minor units")
    if value < 0:
        raise ValueError(f"{owner}.{name} must not be negative")


@dataclass(frozen=True, slots=True)
class ShippingRate:
    """Shipping in one currency: ``flat`` for the first unit, ``per_extra_item`` for each
    further unit, nothing once the subtotal reaches ``free_from`` (if set)."""

    flat: int
    per_extra_item: int = 0
    free_from: int | None = None

    def __post_init__(self) -> None:
        _check_amount("ShippingRate", "flat", self.flat)
        _check_amount("ShippingRate", "per_extra_item", self.per_extra_item)
        if self.free_from is not None:
            _check_amount("ShippingRate", "free_from", self.free_from)

    def price(self, subtotal: int, units: int) -> int:
        if self.free_from is not None and subtotal >= self.free_from:
            return 0
        return self.flat + self.per_extra_item * max(units - 1, 0)


@dataclass(frozen=True, slots=True)
class TaxRate:
    """Tax of one destination country, in basis points (``2000`` is 20.00 %)."""

    basis_points: int
    on_shipping: bool = True

    def __post_init__(self) -> None:
        if not _is_int(self.basis_points):
            raise TypeError("TaxRate.basis_points must be an int")
        if not 0 <= self.basis_points <= MAX_BASIS_POINTS:
            raise ValueError(f"TaxRate.basis_points must be from 0 to {MAX_BASIS_POINTS}")
        if type(self.on_shipping) is not bool:
            raise TypeError("TaxRate.on_shipping must be a bool")

    def of(self, taxable: int) -> int:
        """``taxable * basis_points / 10000`` rounded half up, in integers only (``taxable >= 0``)."""
        return (taxable * self.basis_points + MAX_BASIS_POINTS // 2) // MAX_BASIS_POINTS


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _no_overrides() -> Mapping[str, Mapping[str, ShippingRate]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PricingRules:
    """The rule table checkout prices with. Its mappings are read-only copies, so a table
    shared across invocations cannot be changed under a running checkout.

    - ``shipping``: by currency; a currency without a rate cannot be shipped.
    - ``tax``: by destination country (ISO 3166-1 alpha-2); others pay ``default_tax``.
    - ``shipping_overrides``: country -> currency -> rate, winning over ``shipping`` for
      that destination (remote destinations, say).
    """

    shipping: Mapping[str, ShippingRate]
    tax: Mapping[str, TaxRate]
    default_tax: TaxRate = TaxRate(0)
    shipping_overrides: Mapping[str, Mapping[str, ShippingRate]] = field(default_factory=_no_overrides)

    def __post_init__(self) -> None:
        for currency in self.shipping:
            if not is_supported_currency(currency):
                raise ValueError(f"no shipping rate for unsupported currency {currency!r}")
        for country in self.tax:
            if not _is_country(country):
                raise ValueError(f"tax country {country!r} is not an ISO 3166-1 alpha-2 code")
        for country, rates in self.shipping_overrides.items():
            if not _is_country(country):
                raise ValueError(f"override country {country!r} is not an ISO 3166-1 alpha-2 code")
            for currency in rates:
                if not is_supported_currency(currency):
                    raise ValueError(f"no shipping override for unsupported currency {currency!r}")
        object.__setattr__(self, "shipping", _frozen(self.shipping))
        object.__setattr__(self, "tax", _frozen(self.tax))
        object.__setattr__(
            self,
            "shipping_overrides",
            _frozen({country: _frozen(rates) for country, rates in self.shipping_overrides.items()}),
        )

    def shipping_rate(self, currency: str, country: str) -> ShippingRate | None:
        """The override for ``(country, currency)`` if any, else the currency's rate."""
        override = self.shipping_overrides.get(country, {}).get(currency)
        return override if override is not None else self.shipping.get(currency)

    def tax_rate(self, country: str) -> TaxRate:
        return self.tax.get(country, self.default_tax)

    @classmethod
    def default(cls) -> PricingRules:
        """The built-in table, for when operators configure none.

        Shipping (minor units: flat for the first unit + per extra unit, free from subtotal):

        ====  =====  =====  =========
        cur   flat   extra  free from
        ====  =====  =====  =========
        USD   599    100    5000
        EUR   499    100    5000
        GBP   449    100    4500
        JPY   800    100    8000
        CAD   699    100    6000
        AUD   799    100    7000
        ====  =====  =====  =========

        Other currencies cannot be shipped. No country overrides.

        Tax (basis points, all applied to shipping too): GB 2000, DE 1900, FR 2000, NL 2100,
        IE 2300, ES 2100, IT 2200, JP 1000, AU 1000, CA 500 (federal GST only), US 0 (state
        and local sales tax is not modelled), every other country 0.
        """
        return cls(
            shipping={
                "USD": ShippingRate(599, 100, 5000),
                "EUR": ShippingRate(499, 100, 5000),
                "GBP": ShippingRate(449, 100, 4500),
                "JPY": ShippingRate(800, 100, 8000),
                "CAD": ShippingRate(699, 100, 6000),
                "AUD": ShippingRate(799, 100, 7000),
            },
            tax={
                "GB": TaxRate(2000),
                "DE": TaxRate(1900),
                "FR": TaxRate(2000),
                "NL": TaxRate(2100),
                "IE": TaxRate(2300),
                "ES": TaxRate(2100),
                "IT": TaxRate(2200),
                "JP": TaxRate(1000),
                "AU": TaxRate(1000),
                "CA": TaxRate(500),
                "US": TaxRate(0),
            },
            default_tax=TaxRate(0),
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PricingRules:
        """Parse the JSON shape of :meth:`to_mapping`. Anything unexpected (an unknown key or
        currency, a negative amount, a float or bool for an integer) is an operator's mistake:
        ``ConfigurationError`` naming the offending path, such as ``shipping.USD.flat``."""
        root = _object(data, "")
        _only(root, {"shipping", "tax", "default_tax", "shipping_overrides"}, "")
        shipping = {
            currency: _shipping_rate(value, _join("shipping", currency))
            for currency, value in _currencies(_required(root, "shipping", ""), "shipping").items()
        }
        tax = {
            country: _tax_rate(value, _join("tax", country))
            for country, value in _countries(_required(root, "tax", ""), "tax").items()
        }
        default_tax = _tax_rate(root["default_tax"], "default_tax") if "default_tax" in root else TaxRate(0)
        overrides = {
            country: {
                currency: _shipping_rate(value, _join(_join("shipping_overrides", country), currency))
                for currency, value in _currencies(rates, _join("shipping_overrides", country)).items()
            }
            for country, rates in _countries(root.get("shipping_overrides", {}), "shipping_overrides").items()
        }
        return cls(shipping=shipping, tax=tax, default_tax=default_tax, shipping_overrides=overrides)

    @classmethod
    def from_json(cls, text: str) -> PricingRules:
        """:meth:`from_mapping` of a JSON document; a duplicated key is refused, not overwritten."""
        try:
            data = json.loads(text, object_pairs_hook=_without_duplicates)
        except json.JSONDecodeError as exc:
            raise _error(
                "", f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from exc
        return cls.from_mapping(data)

    def to_mapping(self) -> dict[str, Any]:
        """The JSON shape :meth:`from_mapping` reads back to an equal table."""
        return {
            "shipping": {currency: _rate_mapping(rate) for currency, rate in self.shipping.items()},
            "tax": {country: _tax_mapping(rate) for country, rate in self.tax.items()},
            "default_tax": _tax_mapping(self.default_tax),
            "shipping_overrides": {
                country: {currency: _rate_mapping(rate) for currency, rate in rates.items()}
                for country, rates in self.shipping_overrides.items()
            },
        }


# ------------------------------------------------------------------------------------------------ parsing


def _without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _error("", f"has the key {key!r} twice in one object")
        result[key] = value
    return result


def _error(path: str, problem: str) -> ConfigurationError:
    """The operator's error, naming ``path``. Imported here so the domain needs no pydantic."""
    from commerce.settings import ConfigurationError

    where = f"pricing rules: {path} {problem}" if path else f"pricing rules {problem}"
    return ConfigurationError(where, errors=[FieldError(path or "pricing_rules", problem)])


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _error(path, "must be an object")
    for key in value:
        if not isinstance(key, str):
            raise _error(path, f"has a key that is not a string: {key!r}")
    return value


def _only(obj: Mapping[str, Any], allowed: set[str], path: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _error(
            _join(path, unknown[0]), f"is not a known setting (expected {', '.join(sorted(allowed))})"
        )


def _required(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        raise _error(_join(path, key), "is required")
    return obj[key]


def _currencies(value: object, path: str) -> Mapping[str, Any]:
    obj = _object(value, path)
    for currency in obj:
        if not is_supported_currency(currency):
            raise _error(_join(path, currency), "is not a supported currency")
    return obj


def _countries(value: object, path: str) -> Mapping[str, Any]:
    obj = _object(value, path)
    for country in obj:
        if not _is_country(country):
            raise _error(_join(path, country), "is not an ISO 3166-1 alpha-2 country code (two capitals)")
    return obj


def _amount(obj: Mapping[str, Any], key: str, path: str) -> int:
    value = obj[key]
    if not _is_int(value) or value < 0:
        raise _error(_join(path, key), "must be a non-negative integer")
    return value


def _shipping_rate(value: object, path: str) -> ShippingRate:
    obj = _object(value, path)
    _only(obj, {"flat", "per_extra_item", "free_from"}, path)
    _required(obj, "flat", path)
    free_from = None
    if obj.get("free_from") is not None:
        free_from = _amount(obj, "free_from", path)
    return ShippingRate(
        flat=_amount(obj, "flat", path),
        per_extra_item=_amount(obj, "per_extra_item", path) if "per_extra_item" in obj else 0,
        free_from=free_from,
    )


def _tax_rate(value: object, path: str) -> TaxRate:
    obj = _object(value, path)
    _only(obj, {"basis_points", "on_shipping"}, path)
    basis_points = _required(obj, "basis_points", path)
    if not _is_int(basis_points) or not 0 <= basis_points <= MAX_BASIS_POINTS:
        raise _error(_join(path, "basis_points"), f"must be an integer from 0 to {MAX_BASIS_POINTS}")
    on_shipping = obj.get("on_shipping", True)
    if type(on_shipping) is not bool:
        raise _error(_join(path, "on_shipping"), "must be true or false")
    return TaxRate(basis_points, on_shipping)


def _rate_mapping(rate: ShippingRate) -> dict[str, Any]:
    return {"flat": rate.flat, "per_extra_item": rate.per_extra_item, "free_from": rate.free_from}


def _tax_mapping(rate: TaxRate) -> dict[str, Any]:
    return {"basis_points": rate.basis_points, "on_shipping": rate.on_shipping}


# ------------------------------------------------------------------------------------------------ quoting


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One cart line at the catalogue's current price (never a price the client sent)."""

    product_id: str
    seller_id: str
    unit_price: Money
    quantity: int

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Quote:
    """What the customer pays, and the tax rate it was worked out with (for the invoice)."""

    subtotal: Money
    shipping: Money
    tax: Money
    total: Money
    tax_rate_basis_points: int


def _destination(country: str) -> str:
    """Upper-cased; ASCII first, so that ``"ß".upper() == "SS"`` cannot pass for a code."""
    code = country.upper() if isinstance(country, str) and country.isascii() else None
    if not _is_country(code):
        raise InvalidInput(
            "The destination country must be an ISO 3166-1 alpha-2 code.",
            code="invalid_country",
            errors=[FieldError("country", f"{country!r} is not a two-letter country code")],
        )
    return code


def quote(lines: Sequence[PricedLine], country: str, rules: PricingRules) -> Quote:
    """Subtotal, shipping and tax of ``lines`` delivered to ``country`` (ISO 3166-1 alpha-2, any
    case). Refuses an empty cart, mixed currencies, a currency with no shipping rate and a
    total the platform cannot store, each with its own ``InvalidInput`` code."""
    if not lines:
        raise InvalidInput("There is nothing to check out.", code="cart_empty")
    for index, line in enumerate(lines):
        if not _is_int(line.quantity) or line.quantity < 1:
            raise InvalidInput(
                "Quantities are whole numbers from 1.",
                code="invalid_quantity",
                errors=[FieldError(f"lines[{index}].quantity", f"{line.quantity!r} is not a valid quantity")],
            )
        if line.unit_price.amount < 0:
            raise InvalidInput(
                "A price cannot be negative.",
                code="invalid_price",
                errors=[FieldError(f"lines[{index}].unit_price", f"{line.unit_price} is negative")],
            )
    currency = lines[0].unit_price.currency
    currencies = sorted({line.unit_price.currency for line in lines})
    if len(currencies) > 1:
        raise InvalidInput(
            f"All lines of an order must be in one currency, not {', '.join(currencies)}.",
            code="currency_mismatch",
        )
    country = _destination(country)
    rate = rules.shipping_rate(currency, country)
    if rate is None:
        raise InvalidInput(
            f"Orders in {currency} cannot be shipped to {country}.",
            code="shipping_unavailable",
            extra={"currency": currency, "country": country},
        )
    subtotal = sum(line.unit_price.amount * line.quantity for line in lines)
    shipping = rate.price(subtotal, sum(line.quantity for line in lines))
    tax_rate = rules.tax_rate(country)
    tax = tax_rate.of(subtotal + shipping if tax_rate.on_shipping else subtotal)
    total = subtotal + shipping + tax
    if total > MAX_AMOUNT:
        raise InvalidInput(
            f"An order may cost at most {Money(MAX_AMOUNT, currency)}; split it into smaller orders.",
            code="order_too_large",
        )
    return Quote(
        subtotal=Money(subtotal, currency),
        shipping=Money(shipping, currency),
        tax=Money(tax, currency),
        total=Money(total, currency),
        tax_rate_basis_points=tax_rate.basis_points,
    )
