"""Specification of the opaque paging cursor: what the API returns it accepts back, and
anything else is the caller's error (422 invalid_cursor), never a server error."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.adapters.dynamodb import decode_cursor, encode_cursor
from commerce.errors import InvalidInput


def raw_cursor(payload: bytes) -> str:
    """A cursor as this API would spell it (URL-safe base64 without padding) around any payload."""
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def assert_invalid_cursor(cursor: str, expected_keys: set[str] | None = None) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor, expected_keys)
    assert raised.value.code == "invalid_cursor"
    assert [e.field for e in raised.value.errors] == ["query.cursor"]


def test_a_cursor_round_trips() -> None:
    state = {"after": {"c1": "01J0000000000000000000000A"}, "done": ["c2", "c3"]}

    cursor = encode_cursor(state)

    assert decode_cursor(cursor, {"after", "done"}) == state


def test_a_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor({"after": "???>>>~~~"})

    assert "=" not in cursor
    assert "+" not in cursor
    assert "/" not in cursor


def test_a_cursor_may_omit_expected_keys() -> None:
    assert decode_cursor(encode_cursor({"after": "x"}), {"after", "done"}) == {"after": "x"}


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-a-cursor",
        "a",  # one base64 character is never a whole byte
        "!!!!",
        "%7B%7D",
        raw_cursor(b"{not json"),
        raw_cursor(b"\xff\xfe\xfd\xfc"),
    ],
)
def test_garbage_is_an_invalid_cursor(cursor: str) -> None:
    assert_invalid_cursor(cursor)


@pytest.mark.parametrize("value", [[], ["after"], "after", 42, None, True, 1.5])
def test_json_that_is_not_an_object_is_an_invalid_cursor(value: Any) -> None:
    assert_invalid_cursor(raw_cursor(json.dumps(value).encode()))


def test_a_cursor_with_unexpected_keys_is_invalid() -> None:
    cursor = encode_cursor({"after": "x", "limit": "1000000"})

    assert_invalid_cursor(cursor, {"after"})
    # Without a set of expected keys, any object is accepted.
    assert decode_cursor(cursor) == {"after": "x", "limit": "1000000"}


def test_a_deeply_nested_cursor_is_an_invalid_cursor_not_a_crash() -> None:
    # GIVEN a short cursor (1,336 characters, well under GET /products' 4,096 limit) made of
    # 1,000 nested arrays, deeper than json.loads can recurse
    cursor = raw_cursor(b"[" * 1000)
    assert len(cursor) < 4096

    # THEN it is rejected like any other forged cursor
    assert_invalid_cursor(cursor)


@settings(database=None)
@given(st.dictionaries(st.text(), st.text()))
def test_any_dict_of_strings_round_trips(state: dict[str, str]) -> None:
    assert decode_cursor(encode_cursor(state), set(state)) == state


@settings(database=None)
@given(st.text(max_size=200))
def test_any_text_either_decodes_to_an_object_or_is_an_invalid_cursor(cursor: str) -> None:
    try:
        state = decode_cursor(cursor)
    except InvalidInput as error:
        assert error.code == "invalid_cursor"
    else:
        assert isinstance(state, dict)


def test_a_cursor_with_a_character_added_is_refused_not_read_as_the_original() -> None:
    cursor = encode_cursor({"after": "01J0000000000000000000000A"})
    for edited in (cursor + "!", cursor[:4] + "." + cursor[4:], cursor + " ", cursor + "="):
        with pytest.raises(InvalidInput) as refused:
            decode_cursor(edited)
        assert refused.value.code == "invalid_cursor"
