"""In-memory fakes of the inventory ports, for unit tests (fakes, not mocks).

``FakeInventoryRepository`` keeps what ``InventoryRepository`` documents, the way the DynamoDB
adapter does: conditional writes raise ``StaleStock``, a second reservation for an order is
``Conflict(code="reservation_exists")``, a write-off never takes ``available`` below zero, and a
settle happens only while the reservation is still ``reserved``. Every write is all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from commerce.errors import Conflict
from commerce.inventory.model import (
    DEFAULT_LOW_STOCK_THRESHOLD,
    Movement,
    Reservation,
    ReservationStatus,
    StockLevel,
    WarehouseStock,
)
from commerce.inventory.ports import InventoryRepository, ProductOwners, StaleStock

__all__ = ["FakeInventoryRepository", "FakeProductOwners"]

DEFAULT_PRIORITY = 100


class FakeInventoryRepository(InventoryRepository):
    """Warehouses, reservations and the ledger in dicts.

    Hooks for races, each used once and then cleared:

    - ``fail_on_reserve`` / ``fail_on_settle``: the next call raises this instead of writing.
    - ``before_set_available`` / ``before_reserve`` / ``before_settle``: runs just before the
      next call checks its conditions, as another Lambda would between our read and our write.
    - ``after_expired_listed``: runs after ``expired_reservations`` made its list.
    """

    def __init__(self) -> None:
        self.warehouses: dict[tuple[str, str], WarehouseStock] = {}
        self.thresholds: dict[str, int] = {}
        self.reservations: dict[str, Reservation] = {}
        self.ledger: list[Movement] = []
        self.fail_on_reserve: Exception | None = None
        self.fail_on_settle: Exception | None = None
        self.before_set_available: Callable[[], object] | None = None
        self.before_reserve: Callable[[], object] | None = None
        self.before_settle: Callable[[], object] | None = None
        self.after_expired_listed: Callable[[], object] | None = None
        self.reserve_calls = 0
        self.settle_calls = 0

    # ------------------------------------------------------------------ test helpers
    def put_stock(
        self, product_id: str, warehouse_id: str, available: int, priority: int = DEFAULT_PRIORITY
    ) -> None:
        """Arrange a warehouse directly (no ledger entry): the GIVEN of a test."""
        self.warehouses[(product_id, warehouse_id)] = WarehouseStock(
            product_id, warehouse_id, available=available, priority=priority
        )

    def stock(self, product_id: str, warehouse_id: str) -> WarehouseStock:
        return self.warehouses[(product_id, warehouse_id)]

    @staticmethod
    def _run(hook: Callable[[], object] | None) -> None:
        if hook is not None:
            hook()

    # ------------------------------------------------------------------ reading
    def levels(self, product_ids: Iterable[str]) -> dict[str, StockLevel]:
        return {
            product_id: StockLevel(
                product_id,
                tuple(w for (pid, _), w in sorted(self.warehouses.items()) if pid == product_id),
                self.thresholds.get(product_id, DEFAULT_LOW_STOCK_THRESHOLD),
            )
            for product_id in dict.fromkeys(product_ids)
        }

    def get_reservation(self, order_id: str) -> Reservation | None:
        return self.reservations.get(order_id)

    def expired_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        found = sorted(
            (r for r in self.reservations.values() if r.is_expired(now)), key=lambda r: r.expires_at
        )[:limit]
        hook, self.after_expired_listed = self.after_expired_listed, None
        self._run(hook)
        return found

    def movements(self, product_id: str, limit: int) -> list[Movement]:
        mine = [m for m in self.ledger if m.product_id == product_id]
        return list(reversed(mine))[:limit]

    # ------------------------------------------------------------------ sellers' writes
    def set_available(
        self, movement: Movement, expected_available: int | None, priority: int | None = None
    ) -> None:
        hook, self.before_set_available = self.before_set_available, None
        self._run(hook)
        key = (movement.product_id, movement.warehouse_id)
        current = self.warehouses.get(key)
        if expected_available is None:
            if current is not None:
                raise StaleStock(movement.product_id)
            self.warehouses[key] = WarehouseStock(
                movement.product_id,
                movement.warehouse_id,
                available=movement.delta_available,
                priority=priority if priority is not None else DEFAULT_PRIORITY,
            )
        else:
            if current is None or current.available != expected_available:
                raise StaleStock(movement.product_id)
            self.warehouses[key] = replace(
                current,
                available=expected_available + movement.delta_available,
                priority=priority if priority is not None else current.priority,
            )
        self.ledger.append(movement)

    def adjust(self, movement: Movement) -> None:
        key = (movement.product_id, movement.warehouse_id)
        current = self.warehouses.get(key)
        delta = movement.delta_available
        if current is None:
            if delta < 0:
                raise Conflict(
                    "The write-off is larger than the available stock.", code="stock_would_go_negative"
                )
            self.set_available(movement, None)
            return
        if current.available + delta < 0:
            raise Conflict(
                "The write-off is larger than the available stock.", code="stock_would_go_negative"
            )
        self.warehouses[key] = replace(current, available=current.available + delta)
        self.ledger.append(movement)

    def set_threshold(self, product_id: str, threshold: int) -> None:
        self.thresholds[product_id] = threshold

    # ------------------------------------------------------------------ reservations
    def reserve(self, reservation: Reservation, movements: list[Movement]) -> None:
        self.reserve_calls += 1
        failure, self.fail_on_reserve = self.fail_on_reserve, None
        if failure is not None:
            raise failure
        hook, self.before_reserve = self.before_reserve, None
        self._run(hook)
        if reservation.order_id in self.reservations:
            raise Conflict("This order already has a reservation.", code="reservation_exists")
        for allocation in reservation.allocations:
            current = self.warehouses.get((allocation.product_id, allocation.warehouse_id))
            if current is None or current.available < allocation.quantity:
                raise StaleStock(reservation.order_id)
        for allocation in reservation.allocations:
            key = (allocation.product_id, allocation.warehouse_id)
            current = self.warehouses[key]
            self.warehouses[key] = replace(
                current,
                available=current.available - allocation.quantity,
                reserved=current.reserved + allocation.quantity,
            )
        self.reservations[reservation.order_id] = reservation
        self.ledger.extend(movements)

    def extend(self, before: Reservation, after: Reservation) -> None:
        stored = self.reservations.get(before.order_id)
        if (
            stored is None
            or stored.status is not ReservationStatus.RESERVED
            or stored.expires_at != before.expires_at
        ):
            raise StaleStock(before.order_id)
        self.reservations[after.order_id] = after

    def settle(self, before: Reservation, after: Reservation, movements: list[Movement]) -> None:
        self.settle_calls += 1
        failure, self.fail_on_settle = self.fail_on_settle, None
        if failure is not None:
            raise failure
        hook, self.before_settle = self.before_settle, None
        self._run(hook)
        stored = self.reservations.get(before.order_id)
        if stored is None or stored.status is not before.status:
            raise StaleStock(before.order_id)
        source, target = {
            ReservationStatus.COMMITTED: ("reserved", "sold"),
            ReservationStatus.RELEASED: ("reserved", "available"),
            ReservationStatus.RETURNED: ("sold", "available"),
        }[after.status]
        for allocation in before.allocations:
            current = self.warehouses.get((allocation.product_id, allocation.warehouse_id))
            if current is None or getattr(current, source) < allocation.quantity:
                raise StaleStock(before.order_id)
        for allocation in before.allocations:
            key = (allocation.product_id, allocation.warehouse_id)
            current = self.warehouses[key]
            moved = {
                source: getattr(current, source) - allocation.quantity,
                target: getattr(current, target) + allocation.quantity,
            }
            self.warehouses[key] = replace(current, **moved)  # type: ignore[arg-type]
        self.reservations[after.order_id] = after
        self.ledger.extend(movements)


class FakeProductOwners(ProductOwners):
    """The catalogue reduced to "who sells this product"."""

    def __init__(self, sellers: dict[str, str] | None = None) -> None:
        self.sellers: dict[str, str] = dict(sellers or {})

    def seller_of(self, product_id: str) -> str | None:
        return self.sellers.get(product_id)
