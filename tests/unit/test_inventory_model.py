"""Specification of the inventory domain: lines, allocation, reservations and stock events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.errors import Conflict, InvalidInput
from commerce.inventory.model import (
    MAX_QUANTITY,
    MAX_RESERVATION_LINES,
    Allocation,
    InsufficientStock,
    Line,
    Reservation,
    ReservationStatus,
    StockEvent,
    StockLevel,
    WarehouseStock,
    allocate,
    merge_lines,
    stock_events,
)

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=15)


def level(product_id: str, *warehouses: tuple[str, int, int]) -> StockLevel:
    """A product's stock from ``(warehouse_id, available, priority)`` triples."""
    return StockLevel(
        product_id,
        tuple(
            WarehouseStock(product_id, wh, available=available, priority=prio)
            for wh, available, prio in warehouses
        ),
    )


# ------------------------------------------------------------------------------------------------ merge_lines


def test_lines_for_the_same_product_are_summed_into_one() -> None:
    merged = merge_lines([Line("p-b", 2), Line("p-a", 1), Line("p-b", 3)])

    assert merged == (Line("p-a", 1), Line("p-b", 5))


@given(st.permutations([Line("p-c", 1), Line("p-a", 2), Line("p-b", 3), Line("p-a", 4)]))
def test_merged_lines_come_in_one_order_whatever_the_order_asked(lines: list[Line]) -> None:
    # GIVEN the same request in any order WHEN merged THEN the result is the same, by product id
    assert merge_lines(lines) == (Line("p-a", 6), Line("p-b", 3), Line("p-c", 1))


@pytest.mark.parametrize("quantity", [0, -1, -100, True, False, 1.0, 2.5, "1", None, MAX_QUANTITY + 1])
def test_a_quantity_that_is_not_a_whole_positive_number_is_invalid(quantity: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        merge_lines([Line("p-a", 1), Line("p-b", quantity)])

    assert raised.value.code == "invalid_quantity"
    assert [error.field for error in raised.value.errors] == ["lines.quantity"]


def test_the_largest_quantity_is_accepted() -> None:
    assert merge_lines([Line("p-a", MAX_QUANTITY)]) == (Line("p-a", MAX_QUANTITY),)


def test_lines_summed_beyond_the_largest_quantity_are_invalid() -> None:
    with pytest.raises(InvalidInput) as raised:
        merge_lines([Line("p-a", MAX_QUANTITY), Line("p-a", MAX_QUANTITY)])

    assert raised.value.code == "invalid_quantity"


def test_a_reservation_without_lines_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        merge_lines([])

    assert raised.value.code == "empty_reservation"


def test_a_reservation_holds_at_most_the_line_limit() -> None:
    at_limit = [Line(f"p-{i:03d}", 1) for i in range(MAX_RESERVATION_LINES)]

    assert len(merge_lines(at_limit)) == MAX_RESERVATION_LINES
    # a repeated product is still one line
    assert len(merge_lines([*at_limit, Line("p-000", 2)])) == MAX_RESERVATION_LINES
    with pytest.raises(InvalidInput) as raised:
        merge_lines([*at_limit, Line("p-extra", 1)])
    assert raised.value.code == "too_many_lines"


# ------------------------------------------------------------------------------------------------ allocate


def test_units_come_from_the_warehouse_with_the_best_priority_first() -> None:
    levels = {"p-a": level("p-a", ("w-a", 10, 20), ("w-b", 10, 10))}

    assert allocate([Line("p-a", 3)], levels) == (Allocation("p-a", "w-b", 3),)


def test_warehouses_of_equal_priority_are_taken_by_warehouse_id() -> None:
    levels = {"p-a": level("p-a", ("w-b", 10, 10), ("w-a", 10, 10))}

    assert allocate([Line("p-a", 3)], levels) == (Allocation("p-a", "w-a", 3),)


def test_a_line_spans_warehouses_and_skips_empty_ones() -> None:
    levels = {"p-a": level("p-a", ("w-a", 4, 30), ("w-b", 5, 10), ("w-c", 0, 20))}

    assert allocate([Line("p-a", 7)], levels) == (
        Allocation("p-a", "w-b", 5),
        Allocation("p-a", "w-a", 2),
    )


def test_all_stock_of_every_warehouse_can_be_taken() -> None:
    levels = {"p-a": level("p-a", ("w-a", 4, 1), ("w-b", 5, 2))}

    assert allocate([Line("p-a", 9)], levels) == (Allocation("p-a", "w-a", 4), Allocation("p-a", "w-b", 5))


def test_one_short_line_fails_the_whole_allocation_and_says_how_many_are_available() -> None:
    levels = {"p-a": level("p-a", ("w-a", 10, 1)), "p-b": level("p-b", ("w-a", 1, 1), ("w-b", 1, 2))}

    with pytest.raises(InsufficientStock) as raised:
        allocate([Line("p-a", 5), Line("p-b", 3)], levels)

    error = raised.value
    assert isinstance(error, Conflict)
    assert error.code == "insufficient_stock"
    assert error.extra["shortages"] == [{"product_id": "p-b", "requested": 3, "available": 2}]
    assert error.extra["available"] == 2


def test_every_short_product_is_listed() -> None:
    levels = {"p-a": level("p-a", ("w-a", 1, 1)), "p-b": level("p-b", ("w-a", 5, 1))}

    with pytest.raises(InsufficientStock) as raised:
        allocate([Line("p-a", 2), Line("p-b", 5), Line("p-unknown", 1)], levels)

    assert raised.value.extra["shortages"] == [
        {"product_id": "p-a", "requested": 2, "available": 1},
        {"product_id": "p-unknown", "requested": 1, "available": 0},
    ]
    # several shortages: no single "available" figure would be right
    assert "available" not in raised.value.extra


warehouse_ids = st.sampled_from(["w-a", "w-b", "w-c"])
stock_levels = st.dictionaries(
    warehouse_ids, st.tuples(st.integers(0, 20), st.integers(0, 3)), min_size=0, max_size=3
).map(lambda whs: level("p-a", *((wh, available, prio) for wh, (available, prio) in whs.items())))


@given(stock=stock_levels, wanted=st.integers(1, 60))
def test_allocation_takes_exactly_the_quantity_in_priority_order_or_nothing(
    stock: StockLevel, wanted: int
) -> None:
    try:
        allocations = allocate([Line("p-a", wanted)], {"p-a": stock})
    except InsufficientStock as short:
        assert stock.available < wanted
        assert short.extra["available"] == stock.available
        return

    assert sum(a.quantity for a in allocations) == wanted
    assert all(a.quantity > 0 for a in allocations)
    by_warehouse = {a.warehouse_id: a.quantity for a in allocations}
    assert len(by_warehouse) == len(allocations)
    order = stock.in_priority_order()
    for position, warehouse in enumerate(order):
        taken = by_warehouse.get(warehouse.warehouse_id, 0)
        assert taken <= warehouse.available
        if taken and any(by_warehouse.get(later.warehouse_id) for later in order[position + 1 :]):
            # a later warehouse is touched only when this one was emptied
            assert taken == warehouse.available
    assert [a.warehouse_id for a in allocations] == [
        w.warehouse_id for w in order if w.warehouse_id in by_warehouse
    ]


# ------------------------------------------------------------------------------------------------ reservations


def test_a_reservations_lines_add_up_its_allocations_per_product() -> None:
    reservation = Reservation.new(
        "o-1",
        [Allocation("p-b", "w-a", 2), Allocation("p-a", "w-a", 1), Allocation("p-b", "w-b", 3)],
        NOW,
        TTL,
    )

    assert reservation.lines == (Line("p-a", 1), Line("p-b", 5))


@given(
    st.lists(
        st.tuples(st.sampled_from(["p-a", "p-b", "p-c"]), st.integers(1, 10)).map(lambda t: Line(*t)),
        min_size=1,
        max_size=8,
    )
)
def test_a_reservation_made_from_lines_gives_back_the_merged_lines(lines: list[Line]) -> None:
    # GIVEN plenty of stock split over two warehouses
    levels = {pid: level(pid, ("w-a", 7, 1), ("w-b", 100, 2)) for pid in ("p-a", "p-b", "p-c")}
    wanted = merge_lines(lines)

    reservation = Reservation.new("o-1", allocate(wanted, levels), NOW, TTL)

    # THEN a replay of the same request is recognised by comparing lines
    assert reservation.lines == wanted


def test_a_new_reservation_is_reserved_until_its_time_to_live_has_passed() -> None:
    reservation = Reservation.new("o-1", [Allocation("p-a", "w-a", 1)], NOW, TTL)

    assert reservation.status is ReservationStatus.RESERVED
    assert reservation.expires_at == NOW + TTL
    assert not reservation.is_expired(NOW + TTL - timedelta(seconds=1))
    assert reservation.is_expired(NOW + TTL)


def test_a_settled_reservation_never_expires() -> None:
    reservation = Reservation.new("o-1", [Allocation("p-a", "w-a", 1)], NOW, TTL)
    later = NOW + timedelta(minutes=5)

    committed = reservation.moved_to(ReservationStatus.COMMITTED, later)
    released = reservation.moved_to(ReservationStatus.RELEASED, later, "cancelled")

    assert not committed.is_expired(NOW + 2 * TTL)
    assert not released.is_expired(NOW + 2 * TTL)
    assert (released.updated_at, released.release_reason) == (later, "cancelled")
    assert released.allocations == reservation.allocations


# ------------------------------------------------------------------------------------------------ stock events


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (5, 0, [StockEvent.OUT_OF_STOCK]),
        (1, 0, [StockEvent.OUT_OF_STOCK]),
        (100, 0, [StockEvent.OUT_OF_STOCK]),
        (0, 3, [StockEvent.BACK_IN_STOCK]),
        (0, 50, [StockEvent.BACK_IN_STOCK]),
        (10, 4, [StockEvent.STOCK_LOW]),
        (5, 4, [StockEvent.STOCK_LOW]),
        (5, 1, [StockEvent.STOCK_LOW]),
    ],
)
def test_crossing_a_line_announces_it(before: int, after: int, expected: list[StockEvent]) -> None:
    assert stock_events(before, after, threshold=5) == expected


@pytest.mark.parametrize(
    ("before", "after"),
    [(10, 6), (10, 5), (6, 5), (4, 2), (2, 4), (4, 10), (3, 3), (0, 0), (10, 10)],
)
def test_staying_on_one_side_of_every_line_announces_nothing(before: int, after: int) -> None:
    assert stock_events(before, after, threshold=5) == []


@settings(max_examples=300)
@given(before=st.integers(0, 30), after=st.integers(0, 30), threshold=st.integers(0, 20))
def test_stock_events_are_consistent_with_before_and_after(before: int, after: int, threshold: int) -> None:
    events = stock_events(before, after, threshold)

    assert len(events) == len(set(events))
    # OutOfStock exactly when the last unit went
    assert (StockEvent.OUT_OF_STOCK in events) == (before > 0 and after == 0)
    # BackInStock exactly when the first unit came back
    assert (StockEvent.BACK_IN_STOCK in events) == (before == 0 and after > 0)
    # StockLow exactly when the count fell from at-or-above the threshold to below it, not to zero
    assert (StockEvent.STOCK_LOW in events) == (before >= threshold > after > 0)
    if before == after:
        assert events == []
