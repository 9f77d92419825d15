"""Specification of the inventory use cases, run against in-memory fakes and a fixed clock.

Whatever happens, for every product and warehouse ``available + reserved + sold`` moves only
with a seller's adjustment, and every reservation step can be replayed without effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from commerce.errors import Conflict, Forbidden, InvalidInput, NotFound
from commerce.identity import Principal, Role
from commerce.inventory.model import (
    DEFAULT_WAREHOUSE,
    Allocation,
    InsufficientStock,
    Line,
    Movement,
    MovementKind,
    Reservation,
    ReservationStatus,
)
from commerce.inventory.ports import StaleStock
from commerce.inventory.service import MAX_ALLOCATION_ATTEMPTS, InventoryService
from unit.fakes import FixedClock, principal
from unit.inventory_fakes import FakeInventoryRepository, FakeProductOwners

SELLER = principal("seller-1", Role.SELLER)
OTHER_SELLER = principal("seller-2", Role.SELLER)
CUSTOMER = principal("customer-1", Role.CUSTOMER)
ADMIN = principal("admin-1", Role.ADMIN)
TTL = timedelta(minutes=15)

KETTLE, MUG, LAMP = "p-kettle", "p-mug", "p-lamp"


@dataclass
class World:
    service: InventoryService
    stock: FakeInventoryRepository
    clock: FixedClock

    def figures(self, product_id: str, warehouse_id: str) -> tuple[int, int, int]:
        """``(available, reserved, sold)`` of one warehouse."""
        w = self.stock.stock(product_id, warehouse_id)
        return w.available, w.reserved, w.sold

    def totals(self) -> dict[tuple[str, str], int]:
        """``available + reserved + sold`` of every warehouse: what only sellers may change."""
        return {key: w.available + w.reserved + w.sold for key, w in self.stock.warehouses.items()}

    def snapshot(self) -> tuple[Any, ...]:
        return (dict(self.stock.warehouses), dict(self.stock.reservations), list(self.stock.ledger))


@pytest.fixture
def world() -> World:
    stock, clock = FakeInventoryRepository(), FixedClock()
    owners = FakeProductOwners({KETTLE: SELLER.user_id, MUG: SELLER.user_id, LAMP: OTHER_SELLER.user_id})
    service = InventoryService(stock=stock, owners=owners, clock=clock, reservation_ttl=TTL)
    return World(service, stock, clock)


@pytest.fixture
def stocked(world: World) -> World:
    """Kettles in two warehouses (``w-near`` is preferred), mugs in one."""
    world.stock.put_stock(KETTLE, "w-near", 5, priority=10)
    world.stock.put_stock(KETTLE, "w-far", 10, priority=20)
    world.stock.put_stock(MUG, "w-near", 3, priority=10)
    return world


# ------------------------------------------------------------------------------------------------ reserve


def test_reserving_moves_units_from_available_to_reserved(stocked: World) -> None:
    totals = stocked.totals()

    reservation = stocked.service.reserve("o-1", [Line(KETTLE, 7), Line(MUG, 2)])

    assert reservation.status is ReservationStatus.RESERVED
    assert reservation.lines == (Line(KETTLE, 7), Line(MUG, 2))
    assert set(reservation.allocations) == {
        Allocation(KETTLE, "w-near", 5),
        Allocation(KETTLE, "w-far", 2),
        Allocation(MUG, "w-near", 2),
    }
    assert reservation.expires_at == stocked.clock.now + TTL
    assert stocked.figures(KETTLE, "w-near") == (0, 5, 0)
    assert stocked.figures(KETTLE, "w-far") == (8, 2, 0)
    assert stocked.figures(MUG, "w-near") == (1, 2, 0)
    assert stocked.totals() == totals
    assert stocked.stock.get_reservation("o-1") == reservation
    ledger = stocked.stock.ledger
    assert {(m.kind, m.order_id) for m in ledger} == {(MovementKind.RESERVE, "o-1")}
    assert sorted((m.product_id, m.warehouse_id, m.delta_available, m.delta_reserved) for m in ledger) == [
        (KETTLE, "w-far", -2, 2),
        (KETTLE, "w-near", -5, 5),
        (MUG, "w-near", -2, 2),
    ]


def test_replaying_a_reservation_returns_it_and_takes_nothing_more(stocked: World) -> None:
    first = stocked.service.reserve("o-1", [Line(KETTLE, 7)])
    before = stocked.snapshot()
    stocked.clock.advance(seconds=30)

    again = stocked.service.reserve("o-1", [Line(KETTLE, 7)])
    # the same request split into two lines is still the same request
    split = stocked.service.reserve("o-1", [Line(KETTLE, 3), Line(KETTLE, 4)])

    assert again == first
    assert split == first
    assert stocked.snapshot() == before
    assert stocked.stock.reserve_calls == 1


def test_replaying_a_reservation_with_other_lines_is_a_mismatch(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 2)])
    before = stocked.snapshot()

    for lines in ([Line(KETTLE, 3)], [Line(KETTLE, 2), Line(MUG, 1)], [Line(MUG, 2)]):
        with pytest.raises(Conflict) as raised:
            stocked.service.reserve("o-1", lines)
        assert raised.value.code == "reservation_mismatch"

    assert stocked.snapshot() == before


def test_a_replay_that_arrives_during_the_first_attempt_returns_the_first(stocked: World) -> None:
    # GIVEN a duplicate delivery of the same step that writes first, between our read and write
    service = stocked.service
    stocked.stock.before_reserve = lambda: service.reserve("o-1", [Line(KETTLE, 2)])

    # WHEN our write finds the order already reserved
    reservation = service.reserve("o-1", [Line(KETTLE, 2)])

    # THEN we answer with the stored reservation and the units were taken once
    assert reservation == stocked.stock.get_reservation("o-1")
    assert stocked.figures(KETTLE, "w-near") == (3, 2, 0)


def test_replaying_a_released_reservation_does_not_take_stock_again(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(MUG, 3)])
    released = stocked.service.release("o-1", reason="payment failed")

    again = stocked.service.reserve("o-1", [Line(MUG, 3)])

    assert again == released
    assert stocked.figures(MUG, "w-near") == (3, 0, 0)


def test_a_reservation_takes_every_line_or_none(stocked: World) -> None:
    before = stocked.snapshot()

    with pytest.raises(InsufficientStock) as raised:
        stocked.service.reserve("o-1", [Line(KETTLE, 15), Line(MUG, 4), Line(LAMP, 1)])

    assert raised.value.code == "insufficient_stock"
    assert [s["product_id"] for s in raised.value.extra["shortages"]] == [LAMP, MUG]
    assert stocked.snapshot() == before
    assert stocked.stock.get_reservation("o-1") is None


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([], "empty_reservation"),
        ([Line(KETTLE, 0)], "invalid_quantity"),
        ([Line(KETTLE, -2)], "invalid_quantity"),
    ],
)
def test_invalid_lines_are_refused_before_anything_is_read(
    stocked: World, lines: list[Line], code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        stocked.service.reserve("o-1", lines)

    assert raised.value.code == code
    assert stocked.stock.reserve_calls == 0


def test_a_stale_allocation_is_tried_again(stocked: World) -> None:
    stocked.stock.fail_on_reserve = StaleStock(KETTLE)

    reservation = stocked.service.reserve("o-1", [Line(KETTLE, 2)])

    assert stocked.stock.reserve_calls == 2
    assert reservation.allocations == (Allocation(KETTLE, "w-near", 2),)
    assert stocked.figures(KETTLE, "w-near") == (3, 2, 0)


def test_when_another_order_took_the_units_the_reservation_is_allocated_again(stocked: World) -> None:
    # GIVEN another order empties the preferred warehouse between our read and our write
    service = stocked.service
    stocked.stock.before_reserve = lambda: service.reserve("o-other", [Line(KETTLE, 5)])

    # WHEN we reserve
    reservation = service.reserve("o-1", [Line(KETTLE, 2)])

    # THEN our first allocation failed its condition, and the second one used the other warehouse
    assert stocked.stock.reserve_calls == 3
    assert reservation.allocations == (Allocation(KETTLE, "w-far", 2),)
    assert stocked.figures(KETTLE, "w-near") == (0, 5, 0)
    assert stocked.figures(KETTLE, "w-far") == (8, 2, 0)


def test_when_another_order_took_the_last_units_the_retry_reports_the_shortage(stocked: World) -> None:
    service = stocked.service
    stocked.stock.before_reserve = lambda: service.reserve("o-other", [Line(MUG, 2)])

    with pytest.raises(InsufficientStock) as raised:
        service.reserve("o-1", [Line(MUG, 2)])

    assert raised.value.extra["available"] == 1
    assert stocked.stock.get_reservation("o-1") is None


def test_stock_that_keeps_changing_gives_up_with_a_conflict(stocked: World) -> None:
    class AlwaysStale(FakeInventoryRepository):
        def reserve(self, reservation: Reservation, movements: list[Movement]) -> None:
            self.reserve_calls += 1
            raise StaleStock(reservation.order_id)

    stock = AlwaysStale()
    stock.warehouses = stocked.stock.warehouses
    service = InventoryService(stock, stocked.service.owners, stocked.clock, TTL)

    with pytest.raises(Conflict) as raised:
        service.reserve("o-1", [Line(KETTLE, 1)])

    assert raised.value.code == "concurrent_update"
    assert stock.reserve_calls == MAX_ALLOCATION_ATTEMPTS


# ------------------------------------------------------------------------------------------------ commit


def test_committing_turns_reserved_units_into_sold_ones(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 7)])
    totals = stocked.totals()
    stocked.clock.advance(minutes=2)

    committed = stocked.service.commit("o-1")

    assert committed.status is ReservationStatus.COMMITTED
    assert committed.updated_at == stocked.clock.now
    assert stocked.stock.get_reservation("o-1") == committed
    assert stocked.figures(KETTLE, "w-near") == (0, 0, 5)
    assert stocked.figures(KETTLE, "w-far") == (8, 0, 2)
    assert stocked.totals() == totals
    commits = [m for m in stocked.stock.ledger if m.kind is MovementKind.COMMIT]
    assert sorted((m.warehouse_id, m.delta_available, m.delta_reserved, m.delta_sold) for m in commits) == [
        ("w-far", 0, -2, 2),
        ("w-near", 0, -5, 5),
    ]


def test_replaying_a_commit_changes_nothing(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 2)])
    committed = stocked.service.commit("o-1")
    before = stocked.snapshot()
    stocked.clock.advance(minutes=1)

    assert stocked.service.commit("o-1") == committed
    assert stocked.snapshot() == before
    assert stocked.stock.settle_calls == 1


def test_a_released_reservation_cannot_be_committed(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 2)])
    stocked.service.release("o-1")
    before = stocked.snapshot()

    with pytest.raises(Conflict) as raised:
        stocked.service.commit("o-1")

    assert raised.value.code == "reservation_released"
    assert stocked.snapshot() == before


def test_a_commit_that_loses_the_race_to_a_release_is_refused(stocked: World) -> None:
    # GIVEN the expiry job releases the reservation between our read and our write
    service = stocked.service
    stocked.service.reserve("o-1", [Line(KETTLE, 2)])
    stocked.stock.before_settle = lambda: service.release("o-1", reason="expired")

    # WHEN the commit's conditional write fails THEN it reads again and refuses
    with pytest.raises(Conflict) as raised:
        service.commit("o-1")

    assert raised.value.code == "reservation_released"
    assert stocked.figures(KETTLE, "w-near") == (5, 0, 0)


def test_a_stale_settle_is_tried_again(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 2)])
    stocked.stock.fail_on_settle = StaleStock("o-1")

    stocked.service.commit("o-1")

    assert stocked.stock.settle_calls == 2
    assert stocked.figures(KETTLE, "w-near") == (3, 0, 2)


def test_settling_an_order_without_a_reservation_is_not_found(stocked: World) -> None:
    for settle in (stocked.service.commit, stocked.service.release):
        with pytest.raises(NotFound) as raised:
            settle("o-missing")
        assert raised.value.code == "reservation_not_found"


# ------------------------------------------------------------------------------------------------ release


def test_releasing_returns_reserved_units_to_available(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 7), Line(MUG, 1)])
    totals = stocked.totals()

    released = stocked.service.release("o-1", reason="payment failed")

    assert released.status is ReservationStatus.RELEASED
    assert released.release_reason == "payment failed"
    assert stocked.figures(KETTLE, "w-near") == (5, 0, 0)
    assert stocked.figures(KETTLE, "w-far") == (10, 0, 0)
    assert stocked.figures(MUG, "w-near") == (3, 0, 0)
    assert stocked.totals() == totals
    releases = [m for m in stocked.stock.ledger if m.kind is MovementKind.RELEASE]
    assert {(m.order_id, m.reason) for m in releases} == {("o-1", "payment failed")}


def test_replaying_a_release_changes_nothing(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 2)])
    released = stocked.service.release("o-1", reason="payment failed")
    before = stocked.snapshot()

    again = stocked.service.release("o-1", reason="something else")

    assert again == released
    assert again.release_reason == "payment failed"
    assert stocked.snapshot() == before


def test_a_committed_reservation_cannot_be_released(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 2)])
    stocked.service.commit("o-1")
    before = stocked.snapshot()

    with pytest.raises(Conflict) as raised:
        stocked.service.release("o-1")

    assert raised.value.code == "reservation_committed"
    assert stocked.snapshot() == before


def test_two_releases_racing_return_units_once(stocked: World) -> None:
    service = stocked.service
    stocked.service.reserve("o-1", [Line(KETTLE, 2)])
    stocked.stock.before_settle = lambda: service.release("o-1", reason="cancelled")

    released = service.release("o-1", reason="expired")

    assert released.release_reason == "cancelled"
    assert stocked.figures(KETTLE, "w-near") == (5, 0, 0)


# ------------------------------------------------------------------------------------------------ expiry


def test_a_reservation_held_longer_outlives_its_expiry_and_is_never_shortened(stocked: World) -> None:
    service, clock = stocked.service, stocked.clock
    reserved = service.reserve("o-3ds", [Line(KETTLE, 1)])
    later = reserved.expires_at + timedelta(minutes=10)

    held = service.hold_until("o-3ds", later)
    clock.advance(minutes=20)

    assert held.expires_at == later
    assert service.hold_until("o-3ds", reserved.expires_at) == held
    assert service.release_expired() == 0
    clock.advance(minutes=6)
    assert service.release_expired() == 1


def test_only_a_reservation_still_reserved_can_be_held_longer(stocked: World) -> None:
    service = stocked.service
    service.reserve("o-gone", [Line(KETTLE, 1)])
    service.release("o-gone")

    with pytest.raises(Conflict) as released:
        service.hold_until("o-gone", stocked.clock() + TTL * 2)
    with pytest.raises(NotFound):
        service.hold_until("o-none", stocked.clock())

    assert released.value.code == "reservation_released"


def test_only_expired_reservations_still_reserved_are_released(stocked: World) -> None:
    service, clock = stocked.service, stocked.clock
    service.reserve("o-old", [Line(KETTLE, 1)])
    service.reserve("o-paid", [Line(KETTLE, 1)])
    service.commit("o-paid")
    service.reserve("o-cancelled", [Line(KETTLE, 1)])
    service.release("o-cancelled", reason="cancelled")
    clock.advance(minutes=10)
    service.reserve("o-new", [Line(KETTLE, 1)])
    clock.advance(minutes=5)

    assert service.release_expired() == 1

    statuses = {oid: r.status for oid, r in stocked.stock.reservations.items()}
    assert statuses == {
        "o-old": ReservationStatus.RELEASED,
        "o-paid": ReservationStatus.COMMITTED,
        "o-cancelled": ReservationStatus.RELEASED,
        "o-new": ReservationStatus.RESERVED,
    }
    assert stocked.stock.reservations["o-old"].release_reason == "expired"
    assert stocked.stock.reservations["o-cancelled"].release_reason == "cancelled"
    assert stocked.figures(KETTLE, "w-near") == (3, 1, 1)
    assert service.release_expired() == 0


def test_expiry_is_judged_at_the_moment_given(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 1)])

    assert stocked.service.release_expired(now=stocked.clock.now + TTL - timedelta(seconds=1)) == 0
    assert stocked.service.release_expired(now=stocked.clock.now + TTL) == 1
    assert stocked.stock.reservations["o-1"].status is ReservationStatus.RELEASED


def test_expiry_skips_a_reservation_committed_meanwhile(stocked: World) -> None:
    # GIVEN an expired reservation that the checkout commits right after the job listed it
    service = stocked.service
    service.reserve("o-1", [Line(KETTLE, 2)])
    stocked.clock.advance(minutes=20)
    stocked.stock.after_expired_listed = lambda: service.commit("o-1")

    assert service.release_expired() == 0

    assert stocked.stock.reservations["o-1"].status is ReservationStatus.COMMITTED
    assert stocked.figures(KETTLE, "w-near") == (3, 0, 2)


def test_expiry_leaves_a_reservation_released_meanwhile_as_it_was(stocked: World) -> None:
    service = stocked.service
    service.reserve("o-1", [Line(KETTLE, 2)])
    stocked.clock.advance(minutes=20)
    stocked.stock.after_expired_listed = lambda: service.release("o-1", reason="cancelled")

    service.release_expired()

    assert stocked.stock.reservations["o-1"].release_reason == "cancelled"
    assert stocked.figures(KETTLE, "w-near") == (5, 0, 0)


def test_expiry_does_not_count_a_reservation_released_meanwhile(stocked: World) -> None:
    service = stocked.service
    service.reserve("o-1", [Line(KETTLE, 2)])
    stocked.clock.advance(minutes=20)
    stocked.stock.after_expired_listed = lambda: service.release("o-1", reason="cancelled")

    assert service.release_expired() == 0


# ------------------------------------------------------------------------------------------------ sellers


def test_a_seller_sets_stock_in_a_new_warehouse(world: World) -> None:
    level = world.service.set_available(SELLER, KETTLE, 12, warehouse_id="w-east", priority=3)

    assert level.available == 12
    assert level.warehouse("w-east").priority == 3
    [movement] = world.stock.ledger
    assert (movement.kind, movement.delta_available, movement.actor, movement.at) == (
        MovementKind.SET,
        12,
        SELLER.user_id,
        world.clock.now,
    )


def test_stock_goes_to_the_default_warehouse_when_none_is_named(world: World) -> None:
    world.service.set_available(SELLER, KETTLE, 4)
    world.service.adjust(SELLER, MUG, 2, "delivery")

    assert world.figures(KETTLE, DEFAULT_WAREHOUSE) == (4, 0, 0)
    assert world.figures(MUG, DEFAULT_WAREHOUSE) == (2, 0, 0)


def test_a_stock_take_sets_available_and_leaves_reserved_and_sold_alone(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 3)])
    stocked.service.reserve("o-2", [Line(KETTLE, 1)])
    stocked.service.commit("o-2")

    stocked.service.set_available(SELLER, KETTLE, 20, warehouse_id="w-near")

    assert stocked.figures(KETTLE, "w-near") == (20, 3, 1)
    assert stocked.stock.stock(KETTLE, "w-near").priority == 10
    assert stocked.stock.ledger[-1].delta_available == 20 - 1


def test_a_stock_take_racing_a_reservation_is_applied_to_fresh_figures(stocked: World) -> None:
    service = stocked.service
    stocked.stock.before_set_available = lambda: service.reserve("o-1", [Line(KETTLE, 2)])

    service.set_available(SELLER, KETTLE, 8, warehouse_id="w-near")

    assert stocked.figures(KETTLE, "w-near") == (8, 2, 0)
    assert [m.delta_available for m in stocked.stock.ledger if m.kind is MovementKind.SET] == [8 - 3]


def test_stock_cannot_be_set_below_zero(stocked: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        stocked.service.set_available(SELLER, KETTLE, -1, warehouse_id="w-near")

    assert raised.value.code == "invalid_quantity"
    assert stocked.figures(KETTLE, "w-near") == (5, 0, 0)


def test_restock_and_write_off_move_available_with_a_reason(stocked: World) -> None:
    stocked.service.adjust(SELLER, KETTLE, 4, "delivery", warehouse_id="w-near")
    level = stocked.service.adjust(SELLER, KETTLE, -2, "broken in transit", warehouse_id="w-near")

    assert level.warehouse("w-near").available == 7
    assert [(m.kind, m.delta_available, m.reason) for m in stocked.stock.ledger] == [
        (MovementKind.RESTOCK, 4, "delivery"),
        (MovementKind.WRITE_OFF, -2, "broken in transit"),
    ]


def test_an_adjustment_of_nothing_is_refused(stocked: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        stocked.service.adjust(SELLER, KETTLE, 0, "nothing", warehouse_id="w-near")

    assert raised.value.code == "invalid_quantity"


def test_writing_off_more_than_is_available_changes_nothing(stocked: World) -> None:
    # GIVEN 5 kettles of which 3 are reserved: only 2 may be written off
    stocked.service.reserve("o-1", [Line(KETTLE, 3)])
    before = stocked.snapshot()

    for warehouse, units in (("w-near", 3), ("w-nowhere", 1)):
        with pytest.raises(Conflict) as raised:
            stocked.service.adjust(SELLER, KETTLE, -units, "lost", warehouse_id=warehouse)
        assert raised.value.code == "stock_would_go_negative"

    assert stocked.snapshot() == before
    stocked.service.adjust(SELLER, KETTLE, -2, "lost", warehouse_id="w-near")
    assert stocked.figures(KETTLE, "w-near") == (0, 3, 0)


def test_thresholds_and_history_belong_to_the_owner(stocked: World) -> None:
    stocked.service.set_threshold(SELLER, KETTLE, 2)
    stocked.service.adjust(SELLER, KETTLE, 1, "found one", warehouse_id="w-far")

    assert stocked.service.level(KETTLE).low_stock_threshold == 2
    assert [m.reason for m in stocked.service.history(SELLER, KETTLE)] == ["found one"]


SellerCall = Callable[[InventoryService, Principal, str], object]
SELLER_CALLS: dict[str, SellerCall] = {
    "set_available": lambda s, who, pid: s.set_available(who, pid, 9),
    "restock": lambda s, who, pid: s.adjust(who, pid, 2, "delivery"),
    "write_off": lambda s, who, pid: s.adjust(who, pid, -1, "broken"),
    "set_threshold": lambda s, who, pid: s.set_threshold(who, pid, 1),
    "history": lambda s, who, pid: s.history(who, pid),
}


@pytest.fixture
def with_main_stock(world: World) -> World:
    for product in (KETTLE, LAMP):
        world.stock.put_stock(product, DEFAULT_WAREHOUSE, 5)
    return world


@pytest.mark.parametrize("call", SELLER_CALLS.values(), ids=SELLER_CALLS.keys())
@pytest.mark.parametrize("who", [SELLER, ADMIN], ids=["owner", "admin"])
def test_the_owner_and_admins_may_change_stock(
    with_main_stock: World, call: SellerCall, who: Principal
) -> None:
    call(with_main_stock.service, who, KETTLE)


@pytest.mark.parametrize("call", SELLER_CALLS.values(), ids=SELLER_CALLS.keys())
@pytest.mark.parametrize(
    ("who", "error", "code"),
    [(OTHER_SELLER, Forbidden, "not_product_owner"), (CUSTOMER, Forbidden, "role_required")],
    ids=["another_seller", "customer"],
)
def test_nobody_else_may_change_stock(
    with_main_stock: World, call: SellerCall, who: Principal, error: type[Exception], code: str
) -> None:
    before = with_main_stock.snapshot()
    thresholds = dict(with_main_stock.stock.thresholds)

    with pytest.raises(error) as raised:
        call(with_main_stock.service, who, KETTLE)

    assert getattr(raised.value, "code", None) == code
    assert with_main_stock.snapshot() == before
    assert with_main_stock.stock.thresholds == thresholds


@pytest.mark.parametrize("call", SELLER_CALLS.values(), ids=SELLER_CALLS.keys())
@pytest.mark.parametrize("who", [SELLER, ADMIN], ids=["seller", "admin"])
def test_stock_of_an_unknown_product_is_not_found(world: World, call: SellerCall, who: Principal) -> None:
    with pytest.raises(NotFound) as raised:
        call(world.service, who, "p-missing")

    assert raised.value.code == "product_not_found"
    assert world.stock.warehouses == {}
    assert world.stock.ledger == []


def test_reading_stock_of_an_unknown_product_is_not_found(stocked: World) -> None:
    with pytest.raises(NotFound) as raised:
        stocked.service.level("p-missing")

    assert raised.value.code == "product_not_found"


def test_carts_read_what_can_be_sold_now(stocked: World) -> None:
    stocked.service.reserve("o-1", [Line(KETTLE, 6)])

    assert stocked.service.available([KETTLE, MUG, LAMP]) == {KETTLE: 9, MUG: 3, LAMP: 0}
