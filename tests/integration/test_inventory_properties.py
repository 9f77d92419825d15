"""Properties of stock and reservations, checked through the real DynamoDB adapter on moto.

A hypothesis state machine plays sellers (set, restock, write off), checkout (reserve, commit,
release, and Step Functions' replays of each) and the expiry job against the inventory table,
while a model in plain Python says what must be stored. After every step:

- no figure is negative;
- per product and warehouse, ``available + reserved + sold`` is the sum of the sellers'
  adjustments: reserve, commit and release only move units between the three;
- what is reserved (sold) is exactly what the ``reserved`` (``committed``) reservations hold;
- the ledger adds up to the stored figures;
- every order's reservation has the status the model expects (and failed ones left nothing).

Two example tests pin DynamoDB's limit of 100 items per transaction: the largest reservation
that fits is made and committed, and a larger one is refused whole with a domain error.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from commerce.adapters.dynamodb import from_item, to_item
from commerce.adapters.dynamodb_inventory import DynamoDBInventoryRepository
from commerce.errors import CommerceError, Conflict, NotFound
from commerce.identity import Role
from commerce.ids import new_id
from commerce.inventory.model import (
    MAX_RESERVATION_LINES,
    Allocation,
    InsufficientStock,
    Line,
    Movement,
    MovementKind,
    Reservation,
    ReservationStatus,
)
from commerce.inventory.ports import StaleStock
from commerce.inventory.service import InventoryService
from localcloud import LocalCloud
from unit.fakes import FixedClock, principal
from unit.inventory_fakes import FakeProductOwners

PRODUCTS = ("p-alpha", "p-beta", "p-gamma")
#: ``w-b`` is preferred although it sorts after ``w-a``; a warehouse first created by a restock
#: gets the default priority 100 until a stock take sets its own.
PRIORITIES = {"w-a": 20, "w-b": 10}
DEFAULT_PRIORITY = 100
SELLER = principal("seller-1", Role.SELLER)
TTL = timedelta(minutes=15)
START = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
LEDGER_LIMIT = 1000
SCANNED = (
    "pk, sk, product_id, warehouse_id, available, reserved, sold, priority, order_id, #status, "
    "allocations, release_reason, movement_id, delta_available, delta_reserved, delta_sold"
)
STOCK_KEYS = [(product, warehouse) for product in PRODUCTS for warehouse in sorted(PRIORITIES)]

products = st.sampled_from(PRODUCTS)
warehouses = st.sampled_from(sorted(PRIORITIES))
order_lines = st.lists(st.builds(Line, products, st.integers(1, 3)), min_size=1, max_size=3)


@dataclass
class Warehouse:
    """What the model expects of one warehouse record."""

    available: int = 0
    reserved: int = 0
    sold: int = 0
    adjusted: int = 0  # the sum of every seller adjustment: what the three figures must add up to
    priority: int = DEFAULT_PRIORITY


@dataclass
class Order:
    lines: tuple[Line, ...]
    allocations: dict[tuple[str, str], int]
    expires_at: datetime
    status: ReservationStatus = ReservationStatus.RESERVED
    release_reason: str | None = None


@dataclass
class Stored:
    """What the inventory table holds, read raw."""

    stock: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    movements: list[dict[str, Any]] = field(default_factory=list)


def merged(lines: list[Line]) -> tuple[Line, ...]:
    totals: Counter[str] = Counter()
    for line in lines:
        totals[line.product_id] += line.quantity
    return tuple(Line(pid, q) for pid, q in sorted(totals.items()))


class InventoryMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self, cloud: LocalCloud) -> None:
        super().__init__()
        cloud.reset()  # every example starts from empty tables
        self.clock = FixedClock(START)
        self.client, self.table = cloud.client("dynamodb"), cloud.ref("InventoryTable")
        self.repository = DynamoDBInventoryRepository(self.client, self.table)
        self.service = InventoryService(
            stock=self.repository,
            owners=FakeProductOwners(dict.fromkeys(PRODUCTS, SELLER.user_id)),
            clock=self.clock,
            reservation_ttl=TTL,
        )
        self.warehouses: dict[tuple[str, str], Warehouse] = {}
        self.orders_by_id: dict[str, Order] = {}
        self.refused_orders: list[str] = []
        self.settled: list[tuple[str, ReservationStatus]] = []
        self.ledger: dict[tuple[str, str], tuple[int, int, int]] = {}
        self.ledger_seen = "MOVEMENT#"
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ model helpers
    def _new_order_id(self) -> str:
        return f"o-{next(self._ids):04d}"

    def _available(self, product_id: str) -> int:
        return sum(w.available for (pid, _), w in self.warehouses.items() if pid == product_id)

    def _expected_allocations(self, lines: tuple[Line, ...]) -> dict[tuple[str, str], int]:
        allocations: dict[tuple[str, str], int] = {}
        for line in lines:
            needed = line.quantity
            mine = sorted(
                ((key, w) for key, w in self.warehouses.items() if key[0] == line.product_id),
                key=lambda kw: (kw[1].priority, kw[0][1]),
            )
            for key, w in mine:
                take = min(needed, w.available)
                if take:
                    allocations[key] = take
                    needed -= take
        return allocations

    def _settle_in_model(self, order: Order, to: ReservationStatus, reason: str | None) -> None:
        for key, quantity in order.allocations.items():
            w = self.warehouses[key]
            w.reserved -= quantity
            if to is ReservationStatus.COMMITTED:
                w.sold += quantity
            else:
                w.available += quantity
        order.status, order.release_reason = to, reason

    # ------------------------------------------------------------------ sellers
    @initialize(
        target=orders,
        units=st.lists(st.none() | st.integers(0, 10), min_size=len(STOCK_KEYS), max_size=len(STOCK_KEYS)),
        lines=order_lines,
    )
    def opening(self, units: list[int | None], lines: list[Line]) -> Any:
        """A first stock take in most warehouses (``None``: none yet, so a later restock creates
        it) and a first order, so checkout has something to do from the first step."""
        for (product, warehouse), count in zip(STOCK_KEYS, units, strict=True):
            if count is not None:
                self.set_stock(product, warehouse, count)
        return self.reserve(lines)

    @rule(product=products, warehouse=warehouses, units=st.integers(0, 8))
    def set_stock(self, product: str, warehouse: str, units: int) -> None:
        self.service.set_available(
            SELLER, product, units, warehouse_id=warehouse, priority=PRIORITIES[warehouse]
        )
        w = self.warehouses.setdefault((product, warehouse), Warehouse())
        w.adjusted += units - w.available
        w.available = units
        w.priority = PRIORITIES[warehouse]

    @rule(product=products, warehouse=warehouses, units=st.integers(1, 5))
    def restock(self, product: str, warehouse: str, units: int) -> None:
        self.service.adjust(SELLER, product, units, "delivery", warehouse_id=warehouse)
        w = self.warehouses.setdefault((product, warehouse), Warehouse())
        w.available += units
        w.adjusted += units

    @rule(product=products, warehouse=warehouses, units=st.integers(1, 5))
    def write_off(self, product: str, warehouse: str, units: int) -> None:
        w = self.warehouses.get((product, warehouse))
        if w is None or w.available < units:
            with pytest.raises(Conflict) as raised:
                self.service.adjust(SELLER, product, -units, "broken", warehouse_id=warehouse)
            assert raised.value.code == "stock_would_go_negative"
            return
        self.service.adjust(SELLER, product, -units, "broken", warehouse_id=warehouse)
        w.available -= units
        w.adjusted -= units

    # ------------------------------------------------------------------ checkout
    @rule(target=orders, lines=order_lines)
    def reserve(self, lines: list[Line]) -> Any:
        order_id, wanted = self._new_order_id(), merged(lines)
        short = [
            {
                "product_id": line.product_id,
                "requested": line.quantity,
                "available": self._available(line.product_id),
            }
            for line in wanted
            if self._available(line.product_id) < line.quantity
        ]
        if short:
            with pytest.raises(InsufficientStock) as raised:
                self.service.reserve(order_id, lines)
            assert raised.value.extra["shortages"] == short
            self.refused_orders.append(order_id)
            return multiple()

        expected = self._expected_allocations(wanted)
        reservation = self.service.reserve(order_id, lines)

        assert reservation.lines == wanted
        assert {(a.product_id, a.warehouse_id): a.quantity for a in reservation.allocations} == expected
        for key, quantity in expected.items():
            self.warehouses[key].available -= quantity
            self.warehouses[key].reserved += quantity
        self.orders_by_id[order_id] = Order(wanted, expected, self.clock.now + TTL)
        return order_id

    @rule(order_id=orders, data=st.data())
    def replay_reserve(self, order_id: str, data: st.DataObject) -> None:
        order = self.orders_by_id[order_id]
        if data.draw(st.booleans(), label="with other lines"):
            product = data.draw(products, label="extra product")
            with pytest.raises(Conflict) as raised:
                self.service.reserve(order_id, [*order.lines, Line(product, 1)])
            assert raised.value.code == "reservation_mismatch"
            return
        # the same request, possibly with its lines split and shuffled
        pieces: list[Line] = []
        for line in order.lines:
            first = data.draw(st.integers(1, line.quantity), label=f"split {line.product_id}")
            pieces += [Line(line.product_id, first)] + (
                [Line(line.product_id, line.quantity - first)] if first < line.quantity else []
            )
        replayed = self.service.reserve(order_id, data.draw(st.permutations(pieces), label="lines"))

        assert replayed.status is order.status
        assert replayed.lines == order.lines
        assert {(a.product_id, a.warehouse_id): a.quantity for a in replayed.allocations} == order.allocations

    @rule(order_id=orders)
    def commit(self, order_id: str) -> None:
        self._settle(order_id, ReservationStatus.COMMITTED)

    @rule(order_id=orders)
    def release(self, order_id: str) -> None:
        self._settle(order_id, ReservationStatus.RELEASED)

    def _settle(self, order_id: str, to: ReservationStatus) -> None:
        order = self.orders_by_id[order_id]
        committing = to is ReservationStatus.COMMITTED
        settle = self.service.commit if committing else lambda oid: self.service.release(oid, "cancelled")
        if order.status is ReservationStatus.RESERVED:
            result = settle(order_id)
            self._settle_in_model(order, to, None if committing else "cancelled")
            self.settled.append((order_id, to))
        elif order.status is to:
            result = settle(order_id)  # a replay
        else:
            with pytest.raises(Conflict) as raised:
                settle(order_id)
            assert raised.value.code == f"reservation_{order.status.value}"
            return
        assert result.status is order.status
        assert result.release_reason == order.release_reason

    @precondition(lambda self: bool(self.settled))
    @rule(target=orders, data=st.data())
    def replay_settlement(self, data: st.DataObject) -> Any:
        """Step Functions delivers a commit or release again: through the service it is a no-op,
        and the adapter's transaction, replayed from a stale read, is refused whole, even while
        another order holds the same units (so only the reservation's status can stop it)."""
        order_id, to = data.draw(st.sampled_from(self.settled), label="settled")
        self._settle(order_id, to)
        another = self.reserve(list(self.orders_by_id[order_id].lines))

        stored = self.repository.get_reservation(order_id)
        assert stored is not None
        stale = Reservation(
            order_id,
            stored.allocations,
            ReservationStatus.RESERVED,
            stored.created_at,
            stored.expires_at,
            stored.updated_at,
        )
        for again in (ReservationStatus.COMMITTED, ReservationStatus.RELEASED):
            with pytest.raises(StaleStock):
                self.repository.settle(stale, stale.moved_to(again, self.clock.now), [])
        return another

    @rule(data=st.data())
    def settle_an_order_without_reservation(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from([*self.refused_orders, "o-never"]), label="order")
        for settle in (self.service.commit, self.service.release):
            with pytest.raises(NotFound) as raised:
                settle(order_id)
            assert raised.value.code == "reservation_not_found"

    @rule(minutes=st.integers(1, 20))
    def release_expired(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        expired = [
            order_id
            for order_id, order in self.orders_by_id.items()
            if order.status is ReservationStatus.RESERVED and order.expires_at <= self.clock.now
        ]

        # the open-reservations index lists exactly the reservations still reserved
        assert {r.order_id for r in self.repository.expired_reservations(self.clock.now, 100)} == set(expired)

        assert self.service.release_expired() == len(expired)

        for order_id in expired:
            self._settle_in_model(self.orders_by_id[order_id], ReservationStatus.RELEASED, "expired")
            self.settled.append((order_id, ReservationStatus.RELEASED))
        assert self.repository.expired_reservations(self.clock.now, 100) == []

    # ------------------------------------------------------------------ the adapter's own conditions
    @precondition(lambda self: bool(self.warehouses))
    @rule(data=st.data())
    def reserve_with_a_stale_allocation(self, data: st.DataObject) -> None:
        """One warehouse cannot serve its part: the transaction takes nothing anywhere."""
        keys = sorted(self.warehouses)
        stale = data.draw(st.sampled_from(keys), label="stale warehouse")
        others = data.draw(st.lists(st.sampled_from(keys), unique=True), label="other warehouses")
        allocations = [Allocation(*stale, self.warehouses[stale].available + 1)] + [
            Allocation(*key, self.warehouses[key].available)
            for key in others
            if key != stale and self.warehouses[key].available > 0
        ]
        order_id = self._new_order_id()

        with pytest.raises(StaleStock):
            self.repository.reserve(Reservation.new(order_id, allocations, self.clock.now, TTL), [])

        self.refused_orders.append(order_id)

    # ------------------------------------------------------------------ invariants
    def _scan(self, movements_after: str = "MOVEMENT#") -> Stored:
        """Stock and reservations, and the ledger entries written after ``movements_after``, in
        one consistent scan (one small call per step keeps the machine fast on moto)."""
        stored = Stored()
        params: dict[str, Any] = {
            "TableName": self.table,
            "ConsistentRead": True,
            "ProjectionExpression": SCANNED,
            "FilterExpression": "NOT begins_with(sk, :movement) OR sk > :after",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_item({":movement": "MOVEMENT#", ":after": movements_after}),
        }
        while True:
            page = self.client.scan(**params)
            for values in map(from_item, page.get("Items", [])):
                if values["sk"].startswith("WAREHOUSE#"):
                    key = (values["product_id"], values["warehouse_id"])
                    stored.stock[key] = tuple(
                        int(values[f]) for f in ("available", "reserved", "sold", "priority")
                    )
                elif values["sk"] == "RESERVATION":
                    stored.reservations[values["order_id"]] = values
                elif values["sk"].startswith("MOVEMENT#"):
                    stored.movements.append(values)
            if "LastEvaluatedKey" not in page:
                stored.movements.sort(key=lambda m: str(m["sk"]))
                return stored
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @invariant()
    def the_table_agrees_with_the_model(self) -> None:
        # ledger ids are ULIDs, so what was written since the last step sorts after what was seen
        stored = self._scan(movements_after=self.ledger_seen)

        # stock: never negative, and only sellers change what a warehouse accounts for
        assert set(stored.stock) == set(self.warehouses)
        for key, (available, reserved, sold, priority) in stored.stock.items():
            expected = self.warehouses[key]
            assert min(available, reserved, sold) >= 0, (key, stored.stock[key])
            assert available + reserved + sold == expected.adjusted, (key, stored.stock[key], expected)
            assert (available, reserved, sold, priority) == (
                expected.available,
                expected.reserved,
                expected.sold,
                expected.priority,
            ), (key, stored.stock[key], expected)

        # reservations: one per successful order, with the model's status; refused ones left none
        assert set(stored.reservations) == set(self.orders_by_id)
        held: Counter[tuple[str, str]] = Counter()
        sold_by: Counter[tuple[str, str]] = Counter()
        for order_id, order in self.orders_by_id.items():
            item = stored.reservations[order_id]
            assert (item["status"], item.get("release_reason")) == (order.status.value, order.release_reason)
            allocations = {
                (a["product_id"], a["warehouse_id"]): int(a["quantity"]) for a in item["allocations"]
            }
            assert allocations == order.allocations, order_id
            into = {ReservationStatus.RESERVED: held, ReservationStatus.COMMITTED: sold_by}.get(order.status)
            if into is not None:
                into.update(allocations)
        # what is reserved (sold) is exactly what reserved (committed) reservations hold
        assert sum(figures[1] for figures in stored.stock.values()) == sum(held.values())
        assert {key: figures[1] for key, figures in stored.stock.items() if figures[1]} == dict(held)
        assert {key: figures[2] for key, figures in stored.stock.items() if figures[2]} == dict(sold_by)

        # the ledger adds up to the stock
        for m in stored.movements:
            key = (m["product_id"], m["warehouse_id"])
            a, r, s = self.ledger.get(key, (0, 0, 0))
            self.ledger[key] = (
                a + int(m["delta_available"]),
                r + int(m["delta_reserved"]),
                s + int(m["delta_sold"]),
            )
            self.ledger_seen = str(m["sk"])
        assert self.ledger == {key: figures[:3] for key, figures in stored.stock.items()}

    def teardown(self) -> None:
        # the adapter's own reads agree with the raw table: stock levels, and the history a
        # seller reads is the whole ledger of a product, newest first
        stored = self._scan()
        levels = self.repository.levels(PRODUCTS)
        assert {
            (pid, w.warehouse_id): (w.available, w.reserved, w.sold, w.priority)
            for pid, level in levels.items()
            for w in level.warehouses
        } == stored.stock
        for pid in PRODUCTS:
            ids = [m.movement_id for m in self.repository.movements(pid, LEDGER_LIMIT)]
            assert ids == sorted(
                (m["movement_id"] for m in stored.movements if m["product_id"] == pid), reverse=True
            )


def test_stock_and_reservations_keep_their_invariants_on_dynamodb(cloud: LocalCloud) -> None:
    class OnThisCloud(InventoryMachine):
        """The machine bound to the session's cloud (the fixture cannot reach hypothesis)."""

        def __init__(self) -> None:
            super().__init__(cloud)

    run_state_machine_as_test(
        OnThisCloud,
        settings=settings(max_examples=25, stateful_step_count=15, deadline=None, database=None),
    )


# ------------------------------------------------------------------------------------------------ transaction size

#: DynamoDB's limit on one TransactWriteItems; a reservation writes a stock update and a ledger
#: entry per allocation, plus itself, so this many allocations is the most one can hold.
TRANSACTION_ITEMS = 100
MOST_ALLOCATIONS = (TRANSACTION_ITEMS - 1) // 2


def split_stock(cloud: LocalCloud, product_ids: list[str]) -> InventoryService:
    """A service whose products each have one unit in each of the two warehouses."""
    service = InventoryService(
        stock=DynamoDBInventoryRepository(cloud.client("dynamodb"), cloud.ref("InventoryTable")),
        owners=FakeProductOwners(dict.fromkeys(product_ids, SELLER.user_id)),
        clock=FixedClock(START),
        reservation_ttl=TTL,
    )
    for product_id in product_ids:
        for warehouse, priority in PRIORITIES.items():
            # straight through the adapter: the service would read the level before and after
            first = Movement(new_id(), product_id, warehouse, MovementKind.SET, START, delta_available=1)
            service.stock.set_available(first, None, priority)
    return service


def test_the_largest_reservation_one_transaction_holds_is_made_and_committed(cloud: LocalCloud) -> None:
    # GIVEN an order that needs exactly MOST_ALLOCATIONS product-warehouse pairs
    pairs, single = divmod(MOST_ALLOCATIONS, 2)
    product_ids = [f"p-{i:03d}" for i in range(pairs + single)]
    service = split_stock(cloud, product_ids)
    lines = [Line(pid, 2) for pid in product_ids[:pairs]] + [Line(pid, 1) for pid in product_ids[pairs:]]

    # WHEN it is reserved and committed THEN both transactions go through whole
    assert len(service.reserve("o-big", lines).allocations) == MOST_ALLOCATIONS
    assert service.commit("o-big").status is ReservationStatus.COMMITTED
    levels = service.stock.levels(product_ids)
    assert sum(level.sold for level in levels.values()) == 2 * pairs + single
    assert sum(level.available for level in levels.values()) == single


def test_a_reservation_too_large_for_one_transaction_is_refused_whole_with_a_domain_error(
    cloud: LocalCloud,
) -> None:
    # GIVEN MAX_RESERVATION_LINES products with one unit in each of two warehouses
    product_ids = [f"p-{i:03d}" for i in range(MAX_RESERVATION_LINES)]
    service = split_stock(cloud, product_ids)
    before = service.stock.levels(product_ids)

    # WHEN an order within the line limit takes two of each (2 * 40 allocations > 49)
    # THEN it is refused with a typed error the API can map, not DynamoDB's ValidationException,
    # and nothing was reserved
    with pytest.raises(CommerceError) as raised:
        service.reserve("o-big", [Line(pid, 2) for pid in product_ids])

    assert raised.value.code == "reservation_too_large"
    assert service.stock.levels(product_ids) == before
    assert service.stock.get_reservation("o-big") is None
