"""Specification of ULID identifiers: 26 Crockford characters that sort by creation time."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

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
def fresh_generator(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start from an empty monotonic state, so explicit ``now_ms`` values are honoured,
    and put the module's state back afterwards."""
    monkeypatch.setattr(ids, "_last_ms", 0)
    monkeypatch.setattr(ids, "_last_random", 0)
    yield


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


def test_the_timestamp_is_encoded_in_the_first_ten_characters(fresh_generator: None) -> None:
    assert timestamp_ms(new_id(now_ms=NOW_MS)) == NOW_MS


def test_ids_sort_by_time(fresh_generator: None) -> None:
    # GIVEN ids made at increasing instants (random parts are unrelated)
    made = [new_id(now_ms=NOW_MS + offset) for offset in (0, 1, 7, 1000, 86_400_000)]

    # THEN their string order is their time order
    assert sorted(made) == made
    assert [timestamp_ms(ulid) for ulid in made] == [NOW_MS + o for o in (0, 1, 7, 1000, 86_400_000)]


def test_ids_made_in_the_same_millisecond_are_strictly_increasing(fresh_generator: None) -> None:
    burst = [new_id(now_ms=NOW_MS) for _ in range(1000)]

    assert all(earlier < later for earlier, later in itertools.pairwise(burst))
    assert {timestamp_ms(ulid) for ulid in burst} == {NOW_MS}


def test_a_clock_going_backwards_does_not_break_the_order(fresh_generator: None) -> None:
    # GIVEN an id made at NOW_MS WHEN the clock then reads an earlier instant
    first = new_id(now_ms=NOW_MS)
    second = new_id(now_ms=NOW_MS - 5000)

    # THEN the new id still sorts after the first
    assert second > first


@pytest.mark.xfail(
    strict=True,
    reason="BUG: ids.new_id wraps the 80-bit random part to 0 on overflow within one millisecond "
    "(`& ((1 << 80) - 1)`) instead of carrying into the timestamp or failing, so the next id sorts first",
)
def test_ids_stay_increasing_when_the_random_part_overflows(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the random part of the last id is already at its largest value
    monkeypatch.setattr(ids, "_last_ms", 0)
    monkeypatch.setattr(ids, "_last_random", 0)
    monkeypatch.setattr("commerce.ids.os.urandom", lambda size: b"\xff" * size)
    first = new_id(now_ms=NOW_MS)

    # WHEN another id is made in the same millisecond
    second = new_id(now_ms=NOW_MS)

    # THEN it still sorts after the first
    assert second > first


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
