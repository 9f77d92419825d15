"""Which provider takes which payment: one per payment method kind, found again by name for a
payment already taken (a refund goes back to the provider that took the money)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from commerce.errors import InvalidInput
from commerce.payments.model import PaymentMethodKind
from commerce.payments.ports import PaymentProvider
from commerce.settings import ConfigurationError

__all__ = ["PaymentProviders"]


class PaymentProviders:
    def __init__(self, by_kind: Mapping[PaymentMethodKind, PaymentProvider]) -> None:
        self._by_kind = dict(by_kind)
        self._by_name = {provider.name: provider for provider in self._by_kind.values()}

    @property
    def kinds(self) -> frozenset[PaymentMethodKind]:
        """The payment method kinds this deployment accepts."""
        return frozenset(self._by_kind)

    def __iter__(self) -> Iterator[PaymentProvider]:
        return iter(self._by_name.values())

    def for_kind(self, kind: PaymentMethodKind) -> PaymentProvider:
        provider = self._by_kind.get(kind)
        if provider is None:
            raise InvalidInput(
                f"Paying by {kind.value} is not available.",
                code="payment_method_not_supported",
                extra={"supported": sorted(k.value for k in self._by_kind)},
            )
        return provider

    def named(self, name: str) -> PaymentProvider:
        provider = self._by_name.get(name)
        if provider is None:
            raise ConfigurationError(f"No payment provider named {name!r} is configured.")
        return provider
