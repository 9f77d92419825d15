"""Money as integer minor units plus an ISO 4217 currency: never floats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CURRENCY_EXPONENTS", "Money", "is_supported_currency"]

#: Currencies the platform accepts, with their number of minor-unit digits.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "MXN": 2,
    "NOK": 2,
    "NZD": 2,
    "PLN": 2,
    "SEK": 2,
    "SGD": 2,
    "USD": 2,
}

#: Largest amount in minor units the platform stores (ten million major units of a 2-digit currency).
MAX_AMOUNT = 1_000_000_000


def is_supported_currency(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount of one currency. Arithmetic across currencies is an error, not a conversion."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount) is not int:
            raise TypeError("Money.amount must be an int of minor units")
        if not is_supported_currency(self.currency):
            raise ValueError(f"unsupported currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def of_dict(cls, values: dict[str, Any]) -> Money:
        """From the ``{"amount", "currency"}`` shape of stored items and event details."""
        return cls(int(values["amount"]), str(values["currency"]))

    def as_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency}

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is not int:
            raise TypeError("Money can only be multiplied by an int")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        exponent = CURRENCY_EXPONENTS[self.currency]
        if exponent == 0:
            return f"{self.amount} {self.currency}"
        sign = "-" if self.amount < 0 else ""
        major, minor = divmod(abs(self.amount), 10**exponent)
        return f"{sign}{major}.{minor:0{exponent}d} {self.currency}"
