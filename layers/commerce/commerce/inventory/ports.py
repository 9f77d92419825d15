"""What the inventory service needs from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime

from commerce.inventory.model import Movement, Reservation, StockLevel

__all__ = ["AvailabilityBoard", "InventoryRepository", "ProductOwners", "StaleStock"]


class StaleStock(Exception):
    """A warehouse no longer had what the allocation assumed; read again and re-allocate."""


class InventoryRepository(ABC):
    @abstractmethod
    def levels(self, product_ids: Iterable[str]) -> dict[str, StockLevel]:
        """Strongly consistent stock of each product (an empty level when it has none)."""

    @abstractmethod
    def set_available(
        self, movement: Movement, expected_available: int | None, priority: int | None = None
    ) -> None:
        """Set a warehouse's ``available`` to ``expected + delta``, if it is still ``expected``
        (``None``: the warehouse has no record yet). Raises ``StaleStock`` otherwise."""

    @abstractmethod
    def adjust(self, movement: Movement) -> None:
        """Add ``movement.delta_available`` unless that takes ``available`` below zero
        (raises ``Conflict(code="stock_would_go_negative")``)."""

    @abstractmethod
    def reserve(self, reservation: Reservation, movements: list[Movement]) -> None:
        """One transaction: every allocation's ``available >= quantity`` or nothing happens.

        Raises ``StaleStock`` when a warehouse condition failed and ``Conflict(code=
        "reservation_exists")`` when the order already has a reservation.
        """

    @abstractmethod
    def get_reservation(self, order_id: str) -> Reservation | None: ...

    @abstractmethod
    def settle(self, before: Reservation, after: Reservation, movements: list[Movement]) -> None:
        """Move a reservation on (commit or release from ``reserved``, return from
        ``committed``) with its stock, in one transaction conditional on it still being in
        ``before.status``. Raises ``StaleStock`` when it is not (someone else moved it first)."""

    @abstractmethod
    def extend(self, before: Reservation, after: Reservation) -> None:
        """Store ``after``'s later expiry if the reservation is still ``reserved``; raises
        ``StaleStock`` when it is not."""

    @abstractmethod
    def expired_reservations(self, now: datetime, limit: int) -> list[Reservation]: ...

    @abstractmethod
    def set_threshold(self, product_id: str, threshold: int) -> None: ...

    @abstractmethod
    def movements(self, product_id: str, limit: int) -> list[Movement]: ...


class ProductOwners(ABC):
    """Who sells a product (the catalogue), for ownership checks on stock changes."""

    @abstractmethod
    def seller_of(self, product_id: str) -> str | None:
        """The seller id of an existing product, or ``None`` when there is no such product."""


class AvailabilityBoard(ABC):
    """Where shoppers see a product's availability (the product item in the catalogue)."""

    @abstractmethod
    def show(self, product_id: str, availability: str) -> None:
        """Record ``in_stock``, ``low_stock`` or ``out_of_stock``; unknown products are ignored."""
