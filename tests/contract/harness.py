"""What the shared payment-provider contract needs from each provider under test.

Every adapter behind ``PaymentProvider`` (the card simulator, Stripe, PayPal, the wallet) gets one
harness: the adapter wired to its test double (a recorded-HTTP fake of the provider's API, or
moto's DynamoDB), plus the levers a contract test pulls to steer the provider (a method that
approves, one that declines, the customer completing 3-D Secure or PayPal approval, an outage, a
response lost after the provider already acted) and a view of the provider's own books, read
behind the adapter's back, to prove money was taken once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager

from commerce.money import Money
from commerce.payments.model import PaymentMethod
from commerce.payments.ports import PaymentProvider

__all__ = ["ProviderHarness"]


class ProviderHarness(ABC):
    #: Short name for test ids: "simulator", "stripe", "paypal", "wallet".
    name: str
    provider: PaymentProvider
    currency: str = "EUR"

    @abstractmethod
    def approving(self, order_id: str, amount: Money) -> PaymentMethod:
        """A method the provider authorises at once for ``amount`` (a wallet funds itself here)."""

    @abstractmethod
    def declining(self, order_id: str, amount: Money) -> tuple[PaymentMethod, str]:
        """A method the provider declines, and the ``decline_code`` it must be reported with."""

    def needing_action(self, order_id: str, amount: Money) -> PaymentMethod | None:
        """A method whose authorisation waits for the customer (3-D Secure, PayPal approval);
        ``None`` when the provider never asks (the wallet)."""
        return None

    def act(self, order_id: str, *, succeed: bool) -> None:  # pragma: no cover - overridden
        """The customer completes (or fails / abandons) the action at the provider."""
        raise NotImplementedError(f"{self.name} never asks the customer to act")

    @abstractmethod
    def outage(self) -> AbstractContextManager[None]:
        """Inside: every call fails before reaching the provider (nothing is applied)."""

    @abstractmethod
    def lost_response(self) -> AbstractContextManager[None]:
        """Inside: the next call reaches the provider and is applied, but its answer is lost
        (a timeout after the provider already charged); later calls answer normally."""

    @abstractmethod
    def authorisations(self, order_id: str) -> int:
        """How many holds the provider's own books show for the order (must never exceed 1)."""

    @abstractmethod
    def taken(self, order_id: str) -> Money:
        """Captured minus refunded for the order, by the provider's own books."""

    def close(self) -> Iterator[None] | None:
        """Release anything the harness started (moto, servers); called once per test."""
        return None
