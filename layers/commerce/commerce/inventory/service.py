"""Inventory use cases: sellers set and adjust stock; checkout reserves, commits and
releases. Every reservation step is idempotent by order id, because Step Functions delivers
at least once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from commerce.clock import Clock
from commerce.errors import Conflict, Forbidden, InvalidInput, NotFound
from commerce.identity import Principal, Role
from commerce.ids import new_id
from commerce.inventory.model import (
    DEFAULT_WAREHOUSE,
    Line,
    Movement,
    MovementKind,
    Reservation,
    ReservationStatus,
    StockLevel,
    allocate,
    merge_lines,
)
from commerce.inventory.ports import InventoryRepository, ProductOwners, StaleStock

__all__ = ["InventoryService"]

#: How often a reservation is re-allocated when another order took the units it counted on.
MAX_ALLOCATION_ATTEMPTS = 8


@dataclass
class InventoryService:
    stock: InventoryRepository
    owners: ProductOwners
    clock: Clock
    reservation_ttl: timedelta = timedelta(minutes=15)

    # ------------------------------------------------------------------ reading
    def level(self, product_id: str) -> StockLevel:
        if self.owners.seller_of(product_id) is None:
            raise NotFound("No such product.", code="product_not_found")
        return self.stock.levels([product_id])[product_id]

    def available(self, product_ids: Iterable[str]) -> dict[str, int]:
        """Units that can be sold now, per product (for carts)."""
        return {pid: level.available for pid, level in self.stock.levels(product_ids).items()}

    # ------------------------------------------------------------------ sellers
    def _ensure_owner(self, principal: Principal, product_id: str) -> None:
        seller = self.owners.seller_of(product_id)
        if seller is None:
            raise NotFound("No such product.", code="product_not_found")
        if principal.is_admin:
            return
        principal.require(Role.SELLER)
        if seller != principal.user_id:
            raise Forbidden("This product belongs to another seller.", code="not_product_owner")

    def _movement(
        self,
        principal: Principal,
        product_id: str,
        warehouse_id: str,
        kind: MovementKind,
        delta: int,
        reason: str,
    ) -> Movement:
        return Movement(
            movement_id=new_id(),
            product_id=product_id,
            warehouse_id=warehouse_id,
            kind=kind,
            at=self.clock(),
            delta_available=delta,
            reason=reason,
            actor=principal.user_id,
        )

    def set_available(
        self,
        principal: Principal,
        product_id: str,
        available: int,
        warehouse_id: str | None = None,
        priority: int | None = None,
    ) -> StockLevel:
        """Set a warehouse's sellable count (a stock take); reserved and sold are untouched."""
        self._ensure_owner(principal, product_id)
        if available < 0:
            raise InvalidInput("Stock cannot be negative.", code="invalid_quantity")
        warehouse = warehouse_id or DEFAULT_WAREHOUSE
        for _ in range(MAX_ALLOCATION_ATTEMPTS):
            current = self.stock.levels([product_id])[product_id]
            existing = next((w for w in current.warehouses if w.warehouse_id == warehouse), None)
            before = existing.available if existing else 0
            movement = self._movement(
                principal, product_id, warehouse, MovementKind.SET, available - before, "stock take"
            )
            try:
                self.stock.set_available(movement, existing.available if existing else None, priority)
            except StaleStock:
                continue
            return self.stock.levels([product_id])[product_id]
        raise Conflict("Stock is changing too fast; try again.", code="concurrent_update")

    def adjust(
        self, principal: Principal, product_id: str, delta: int, reason: str, warehouse_id: str | None = None
    ) -> StockLevel:
        """Restock (positive) or write off (negative) units, with a reason for the ledger."""
        self._ensure_owner(principal, product_id)
        if delta == 0:
            raise InvalidInput("An adjustment changes stock by at least one unit.", code="invalid_quantity")
        kind = MovementKind.RESTOCK if delta > 0 else MovementKind.WRITE_OFF
        warehouse = warehouse_id or DEFAULT_WAREHOUSE
        self.stock.adjust(self._movement(principal, product_id, warehouse, kind, delta, reason))
        return self.stock.levels([product_id])[product_id]

    def set_threshold(self, principal: Principal, product_id: str, threshold: int) -> None:
        self._ensure_owner(principal, product_id)
        self.stock.set_threshold(product_id, threshold)

    def history(self, principal: Principal, product_id: str, limit: int = 50) -> list[Movement]:
        self._ensure_owner(principal, product_id)
        return self.stock.movements(product_id, limit)

    # ------------------------------------------------------------------ checkout
    def reserve(self, order_id: str, lines: Iterable[Line]) -> Reservation:
        """Take every line or none. Replaying the same order returns the same reservation."""
        wanted = merge_lines(lines)
        existing = self.stock.get_reservation(order_id)
        if existing is not None:
            return self._replayed(existing, wanted)
        for _ in range(MAX_ALLOCATION_ATTEMPTS):
            levels = self.stock.levels(line.product_id for line in wanted)
            allocations = allocate(wanted, levels)
            now = self.clock()
            reservation = Reservation.new(order_id, allocations, now, self.reservation_ttl)
            movements = [
                Movement.of_order(new_id(), a, MovementKind.RESERVE, now, order_id) for a in allocations
            ]
            try:
                self.stock.reserve(reservation, movements)
            except StaleStock:
                continue
            except Conflict as conflict:
                if conflict.code != "reservation_exists":
                    raise
                stored = self.stock.get_reservation(order_id)
                if stored is None:  # pragma: no cover - the transaction said it exists
                    raise
                return self._replayed(stored, wanted)
            return reservation
        raise Conflict("Stock is changing too fast; try again.", code="concurrent_update")

    @staticmethod
    def _replayed(existing: Reservation, wanted: tuple[Line, ...]) -> Reservation:
        if existing.lines != wanted:
            raise Conflict("This order already reserved different lines.", code="reservation_mismatch")
        return existing

    #: Where each settling step may start from, and the ledger entry it writes.
    _SETTLING = {
        ReservationStatus.COMMITTED: (ReservationStatus.RESERVED, MovementKind.COMMIT),
        ReservationStatus.RELEASED: (ReservationStatus.RESERVED, MovementKind.RELEASE),
        ReservationStatus.RETURNED: (ReservationStatus.COMMITTED, MovementKind.RETURN),
    }

    def _settle(self, order_id: str, to: ReservationStatus, reason: str | None) -> tuple[Reservation, bool]:
        """The reservation after the step, and whether this call made the change (False: a replay)."""
        source, kind = self._SETTLING[to]
        for _ in range(MAX_ALLOCATION_ATTEMPTS):
            current = self.stock.get_reservation(order_id)
            if current is None:
                raise NotFound("This order has no reservation.", code="reservation_not_found")
            if current.status is to:
                return current, False  # a replay: already done
            if current.status is not source:
                raise Conflict(
                    f"The reservation is already {current.status.value}.",
                    code=f"reservation_{current.status.value}",
                )
            now = self.clock()
            movements = [
                Movement.of_order(new_id(), a, kind, now, order_id, reason) for a in current.allocations
            ]
            after = current.moved_to(to, now, reason)
            try:
                self.stock.settle(current, after, movements)
            except StaleStock:
                continue
            return after, True
        raise Conflict("The reservation is changing too fast; try again.", code="concurrent_update")

    def commit(self, order_id: str) -> Reservation:
        """Reserved units become sold."""
        return self._settle(order_id, ReservationStatus.COMMITTED, None)[0]

    def release(self, order_id: str, reason: str = "released") -> Reservation:
        """Reserved units return to available."""
        return self._settle(order_id, ReservationStatus.RELEASED, reason)[0]

    def restock(self, order_id: str, reason: str = "order cancelled") -> Reservation:
        """Sold units of a cancelled order go back on sale."""
        return self._settle(order_id, ReservationStatus.RETURNED, reason)[0]

    def give_back(self, order_id: str, reason: str) -> Reservation | None:
        """Whatever the order holds goes back on sale: a reservation is released, committed
        stock restocked; an order that never reserved (or already gave back) changes nothing.
        This is the one compensation for stock, whichever saga step failed."""
        for _ in range(MAX_ALLOCATION_ATTEMPTS):
            current = self.stock.get_reservation(order_id)
            if current is None:
                return None
            if current.status in (ReservationStatus.RELEASED, ReservationStatus.RETURNED):
                return current
            to = (
                ReservationStatus.RELEASED
                if current.status is ReservationStatus.RESERVED
                else ReservationStatus.RETURNED
            )
            try:
                return self._settle(order_id, to, reason)[0]
            except Conflict as conflict:
                if not conflict.code.startswith("reservation_"):
                    raise
                continue  # committed or released meanwhile: look again
        raise Conflict("The reservation is changing too fast; try again.", code="concurrent_update")

    def hold_until(self, order_id: str, until: datetime) -> Reservation:
        """Keep the order's units reserved until at least ``until``, so the expiry job leaves
        them alone while the customer authenticates the payment."""
        for _ in range(MAX_ALLOCATION_ATTEMPTS):
            current = self.stock.get_reservation(order_id)
            if current is None:
                raise NotFound("This order has no reservation.", code="reservation_not_found")
            held = current.held_until(until, self.clock())
            if held is current:
                return current
            try:
                self.stock.extend(current, held)
            except StaleStock:
                continue
            return held
        raise Conflict("The reservation is changing too fast; try again.", code="concurrent_update")

    def release_expired(self, now: datetime | None = None, limit: int = 100) -> int:
        """Release reservations nobody committed or released in time (a scheduled job)."""
        moment = now or self.clock()
        released = 0
        for reservation in self.stock.expired_reservations(moment, limit):
            try:
                _, changed = self._settle(reservation.order_id, ReservationStatus.RELEASED, "expired")
            except Conflict:
                continue  # committed meanwhile: nothing to do
            released += int(changed)
        return released
