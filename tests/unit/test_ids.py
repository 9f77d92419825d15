"""Specification of ULID identifiers: 26 Crockford characters that sort by creation time."""

from __future__ import annotations

import importlib.util
import itertools
import re
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import pytest

from commerce import ids
from commerce.ids import ULID_PATTERN, is_ulid, new_id

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 2025-01-15T12:00:00Z in milliseconds.
NOW_MS = 1_736_942_400_000


def timestamp_ms(ulid: str) -> int:
    """The first 10 characters are the 48-bit millisecond timestamp."""
    value = 0
    for char in ulid[:10]:
        value = value * 32 + CROCKFORD.index(char)
    return value


@pytest.fixture
def fresh() -> ModuleType:
    """A private copy of ``commerce.ids`` with an empty monotonic state, so explicit ``now_ms``
    values are honoured whatever ids other tests made (and without touching its internals)."""
    spec = importlib.util.spec_from_file_location("commerce_ids_under_test", ids.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_id_is_26_crockford_characters_matching_the_pattern() -> None:
    ulid = new_id()

    assert len(ulid) == 26
    assert set(ulid) <= set(CROCKFORD)
    assert re.fullmatch(ULID_PATTERN, ulid)
    assert is_ulid(ulid)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "01ARZ3NDEKTSV4RRFFQ69G5FA",  # 25 characters
        "01ARZ3NDEKTSV4RRFFQ69G5FAVV",  # 27 characters
        "01ARZ3NDEKTSV4RRFFQ69G5FAI",  # I is not Crockford
        "01ARZ3NDEKTSV4RRFFQ69G5FAL",  # nor L
        "01ARZ3NDEKTSV4RRFFQ69G5FAO",  # nor O
        "01ARZ3NDEKTSV4RRFFQ69G5FAU",  # nor U
        "01arz3ndektsv4rrffq69g5fav",  # lower case
    ],
)
def test_is_ulid_rejects_anything_else(value: str) -> None:
    assert not is_ulid(value)


def test_the_timestamp_is_encoded_in_the_first_ten_characters(fresh: ModuleType) -> None:
    assert timestamp_ms(fresh.new_id(now_ms=NOW_MS)) == NOW_MS


def test_ids_sort_by_time(fresh: ModuleType) -> None:
    # GIVEN ids made at increasing instants (random parts are unrelated)
    made = [fresh.new_id(now_ms=NOW_MS + offset) for offset in (0, 1, 7, 1000, 86_400_000)]

    # THEN their string order is their time order
    assert sorted(made) == made
    assert [timestamp_ms(ulid) for ulid in made] == [NOW_MS + o for o in (0, 1, 7, 1000, 86_400_000)]


def test_ids_made_in_the_same_millisecond_are_strictly_increasing(fresh: ModuleType) -> None:
    burst = [fresh.new_id(now_ms=NOW_MS) for _ in range(1000)]

    assert all(earlier < later for earlier, later in itertools.pairwise(burst))
    assert {timestamp_ms(ulid) for ulid in burst} == {NOW_MS}


def test_a_clock_going_backwards_does_not_break_the_order(fresh: ModuleType) -> None:
    # GIVEN an id made at NOW_MS WHEN the clock then reads an earlier instant
    first = fresh.new_id(now_ms=NOW_MS)
    second = fresh.new_id(now_ms=NOW_MS - 5000)

    # THEN the new id still sorts after the first
    assert second > first


def test_ids_stay_increasing_when_the_random_part_overflows(
    fresh: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the random part of an id comes out at its largest value
    monkeypatch.setattr(fresh.os, "urandom", lambda size: b"\xff" * size)
    first = fresh.new_id(now_ms=NOW_MS)

    # WHEN another id is made in the same millisecond
    second = fresh.new_id(now_ms=NOW_MS)

    # THEN it still sorts after the first (carrying into the timestamp, not wrapping to zero)
    assert second > first
    assert is_ulid(second)


def test_ids_are_unique_across_threads() -> None:
    def burst(_: int) -> list[str]:
        return [new_id() for _ in range(500)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = [ulid for batch in pool.map(burst, range(16)) for ulid in batch]

    assert len(made) == 16 * 500
    assert len(set(made)) == len(made)
    # Each thread's own ids also came out in order.
    for start in range(0, len(made), 500):
        batch = made[start : start + 500]
        assert batch == sorted(batch)
