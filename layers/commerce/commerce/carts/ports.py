"""What the cart service needs from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Protocol

from commerce.carts.model import Cart
from commerce.inventory.model import StockLevel

__all__ = ["CartRepository", "StaleCart", "StockReader"]


class StaleCart(Exception):  # a signal between adapter and service, never shown to clients
    """The stored cart is no longer the version that was read; read it again and redo the change."""


class CartRepository(ABC):
    @abstractmethod
    def get(self, cart_id: str) -> Cart | None:
        """The stored cart, strongly consistent, expired or not (expiry is the domain's call)."""

    @abstractmethod
    def save(self, cart: Cart, expected_version: int) -> None:
        """Store the whole cart if the stored version is still ``expected_version`` (0: nothing
        stored yet). Raises ``StaleCart`` otherwise."""

    @abstractmethod
    def save_merged(self, cart: Cart, expected_version: int, consumed: Cart) -> None:
        """Atomically store ``cart`` (as ``save``) and delete ``consumed`` if it is still at
        ``consumed.version``. Raises ``StaleCart`` when either changed."""


class StockReader(Protocol):
    """The one thing carts need from inventory (``InventoryRepository`` satisfies it)."""

    def levels(self, product_ids: Iterable[str]) -> dict[str, StockLevel]: ...
