"""Stock and reservations, free of I/O.

The invariant everything here protects: for every product and warehouse,
``available + reserved + sold`` changes only through seller adjustments (restock,
write-off, set), never through reserve, commit or release, and no figure is ever negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from commerce.errors import Conflict, FieldError, InvalidInput

__all__ = [
    "DEFAULT_LOW_STOCK_THRESHOLD",
    "DEFAULT_WAREHOUSE",
    "MAX_ALLOCATIONS",
    "MAX_QUANTITY",
    "MAX_RESERVATION_LINES",
    "Allocation",
    "InsufficientStock",
    "Line",
    "Movement",
    "MovementKind",
    "Reservation",
    "ReservationStatus",
    "Shortage",
    "StockEvent",
    "StockLevel",
    "WarehouseStock",
    "allocate",
    "merge_lines",
    "stock_events",
]

DEFAULT_WAREHOUSE = "main"
DEFAULT_LOW_STOCK_THRESHOLD = 5
#: A reservation is one DynamoDB transaction (at most 100 items: a stock update and a ledger
#: entry per allocation, plus the reservation), so an order is bounded.
MAX_RESERVATION_LINES = 40
#: DynamoDB takes at most 100 items in one transaction: a stock update and a ledger entry per
#: allocation, plus the reservation item.
MAX_ALLOCATIONS = 49
MAX_QUANTITY = 1_000_000


@dataclass(frozen=True, slots=True)
class WarehouseStock:
    product_id: str
    warehouse_id: str
    available: int = 0
    reserved: int = 0
    sold: int = 0
    priority: int = 100

    @property
    def on_hand(self) -> int:
        return self.available + self.reserved


@dataclass(frozen=True, slots=True)
class StockLevel:
    """A product's stock across its warehouses."""

    product_id: str
    warehouses: tuple[WarehouseStock, ...] = ()
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD

    @property
    def available(self) -> int:
        return sum(w.available for w in self.warehouses)

    @property
    def reserved(self) -> int:
        return sum(w.reserved for w in self.warehouses)

    @property
    def sold(self) -> int:
        return sum(w.sold for w in self.warehouses)

    def warehouse(self, warehouse_id: str) -> WarehouseStock:
        return next(
            (w for w in self.warehouses if w.warehouse_id == warehouse_id),
            WarehouseStock(self.product_id, warehouse_id),
        )

    def in_priority_order(self) -> list[WarehouseStock]:
        return sorted(self.warehouses, key=lambda w: (w.priority, w.warehouse_id))


@dataclass(frozen=True, slots=True)
class Line:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a line served from one warehouse."""

    product_id: str
    warehouse_id: str
    quantity: int


class ReservationStatus(StrEnum):
    RESERVED = "reserved"
    COMMITTED = "committed"
    RELEASED = "released"
    #: Committed units put back on sale (an order cancelled after its stock was committed).
    RETURNED = "returned"


class MovementKind(StrEnum):
    SET = "set"
    RESTOCK = "restock"
    WRITE_OFF = "write_off"
    RESERVE = "reserve"
    COMMIT = "commit"
    RELEASE = "release"
    RETURN = "return"


@dataclass(frozen=True, slots=True)
class Reservation:
    order_id: str
    allocations: tuple[Allocation, ...]
    status: ReservationStatus
    created_at: datetime
    expires_at: datetime
    updated_at: datetime
    release_reason: str | None = None

    @property
    def lines(self) -> tuple[Line, ...]:
        totals: dict[str, int] = {}
        for allocation in self.allocations:
            totals[allocation.product_id] = totals.get(allocation.product_id, 0) + allocation.quantity
        return tuple(Line(product_id, quantity) for product_id, quantity in sorted(totals.items()))

    def is_expired(self, now: datetime) -> bool:
        return self.status is ReservationStatus.RESERVED and self.expires_at <= now

    def held_until(self, until: datetime, now: datetime) -> Reservation:
        """Kept for longer (a customer still authenticating a payment); never shortened."""
        if self.status is not ReservationStatus.RESERVED:
            raise Conflict(
                f"The reservation is already {self.status.value}.", code=f"reservation_{self.status.value}"
            )
        expires = until.replace(microsecond=0)
        if expires <= self.expires_at:
            return self
        return replace(
            self, expires_at=expires, updated_at=now.replace(microsecond=now.microsecond // 1000 * 1000)
        )

    def moved_to(self, status: ReservationStatus, now: datetime, reason: str | None = None) -> Reservation:
        return replace(self, status=status, updated_at=now, release_reason=reason)

    @classmethod
    def new(
        cls, order_id: str, allocations: Iterable[Allocation], now: datetime, ttl: timedelta
    ) -> Reservation:
        # Stored precision: instants to the millisecond, the expiry to the second (a TTL epoch).
        at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        expires = (at + ttl).replace(microsecond=0)
        return cls(order_id, tuple(allocations), ReservationStatus.RESERVED, at, expires, at)


@dataclass(frozen=True, slots=True)
class Shortage:
    product_id: str
    requested: int
    available: int


class InsufficientStock(Conflict):
    """Not enough units for at least one line; nothing was reserved."""

    default_code = "insufficient_stock"

    def __init__(self, shortages: list[Shortage]) -> None:
        names = ", ".join(f"{s.product_id} ({s.available} of {s.requested})" for s in shortages)
        super().__init__(
            f"Not enough stock for: {names}.",
            extra={
                "shortages": [
                    {"product_id": s.product_id, "requested": s.requested, "available": s.available}
                    for s in shortages
                ],
                **({"available": shortages[0].available} if len(shortages) == 1 else {}),
            },
        )
        self.shortages = shortages


def merge_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """One line per product, in a stable order; quantities must be positive."""
    totals: dict[str, int] = {}
    for line in lines:
        if type(line.quantity) is not int or line.quantity < 1 or line.quantity > MAX_QUANTITY:
            raise InvalidInput(
                "Quantities are whole numbers from 1.",
                code="invalid_quantity",
                errors=[FieldError("lines.quantity", f"{line.quantity!r} is not a valid quantity")],
            )
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    if not totals:
        raise InvalidInput("A reservation needs at least one line.", code="empty_reservation")
    too_many = sorted(product_id for product_id, total in totals.items() if total > MAX_QUANTITY)
    if too_many:
        raise InvalidInput(
            f"At most {MAX_QUANTITY} units of one product per order.",
            code="invalid_quantity",
            errors=[
                FieldError("lines.quantity", f"{product_id}: more than {MAX_QUANTITY}")
                for product_id in too_many
            ],
        )
    if len(totals) > MAX_RESERVATION_LINES:
        raise InvalidInput(
            f"A reservation holds at most {MAX_RESERVATION_LINES} products.", code="too_many_lines"
        )
    return tuple(Line(product_id, quantity) for product_id, quantity in sorted(totals.items()))


def allocate(lines: Iterable[Line], levels: Mapping[str, StockLevel]) -> tuple[Allocation, ...]:
    """Serve each line from its warehouses in priority order, all lines or none."""
    allocations: list[Allocation] = []
    shortages: list[Shortage] = []
    for line in lines:
        level = levels.get(line.product_id, StockLevel(line.product_id))
        if level.available < line.quantity:
            shortages.append(Shortage(line.product_id, line.quantity, level.available))
            continue
        needed = line.quantity
        for warehouse in level.in_priority_order():
            if needed == 0:
                break
            take = min(needed, warehouse.available)
            if take > 0:
                allocations.append(Allocation(line.product_id, warehouse.warehouse_id, take))
                needed -= take
    if shortages:
        raise InsufficientStock(shortages)
    if len(allocations) > MAX_ALLOCATIONS:
        raise InvalidInput(
            f"This order would be served from {len(allocations)} product-warehouse pairs; at most "
            f"{MAX_ALLOCATIONS} fit in one reservation. Split it into smaller orders.",
            code="reservation_too_large",
        )
    return tuple(allocations)


class StockEvent(StrEnum):
    STOCK_LOW = "StockLow"
    OUT_OF_STOCK = "OutOfStock"
    BACK_IN_STOCK = "BackInStock"


def stock_events(before: int, after: int, threshold: int) -> list[StockEvent]:
    """What a change of a product's available total from ``before`` to ``after`` announces."""
    events: list[StockEvent] = []
    if before > 0 and after == 0:
        events.append(StockEvent.OUT_OF_STOCK)
    elif before == 0 and after > 0:
        events.append(StockEvent.BACK_IN_STOCK)
    if 0 < after < threshold <= before:
        events.append(StockEvent.STOCK_LOW)
    return events


@dataclass(frozen=True, slots=True)
class Movement:
    """One entry of the stock ledger: what changed, where, why and by whom."""

    movement_id: str
    product_id: str
    warehouse_id: str
    kind: MovementKind
    at: datetime
    delta_available: int = 0
    delta_reserved: int = 0
    delta_sold: int = 0
    reason: str | None = None
    actor: str | None = None
    order_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_order(
        cls,
        movement_id: str,
        allocation: Allocation,
        kind: MovementKind,
        at: datetime,
        order_id: str,
        reason: str | None = None,
    ) -> Movement:
        """The ledger entry of one allocation's reserve, commit, release or return: units move
        between figures, so the three deltas always sum to zero."""
        q = allocation.quantity
        deltas = {
            MovementKind.RESERVE: (-q, q, 0),
            MovementKind.COMMIT: (0, -q, q),
            MovementKind.RELEASE: (q, -q, 0),
            MovementKind.RETURN: (q, 0, -q),
        }[kind]
        return cls(
            movement_id=movement_id,
            product_id=allocation.product_id,
            warehouse_id=allocation.warehouse_id,
            kind=kind,
            at=at,
            delta_available=deltas[0],
            delta_reserved=deltas[1],
            delta_sold=deltas[2],
            reason=reason,
            order_id=order_id,
        )
