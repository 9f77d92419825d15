"""Small helpers shared by the DynamoDB repositories: item (de)serialisation, opaque
cursors, and recognising a failed condition."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from commerce.errors import FieldError, InvalidInput, PreconditionFailed
from commerce.money import Money

__all__ = [
    "TRANSIENT_ERRORS",
    "condition_failed",
    "decode_cursor",
    "encode_cursor",
    "from_item",
    "invalid_cursor",
    "money_from_item",
    "money_to_item",
    "outage_raises",
    "put_if_version",
    "to_item",
    "transaction_cancel_reasons",
]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values -> DynamoDB attribute values; ``None`` fields are left out."""
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def money_to_item(value: Money | None) -> dict[str, Any] | None:
    return None if value is None else value.as_dict()


def money_from_item(values: dict[str, Any] | None) -> Money | None:
    return None if values is None else Money.of_dict(values)


def condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def put_if_version(client: Any, table: str, item: dict[str, Any], expected_version: int, what: str) -> None:
    """Optimistic concurrency: replace ``item`` only while the stored ``version`` is still the one read."""
    try:
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="version = :expected",
            ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
        )
    except ClientError as error:
        if condition_failed(error):
            raise PreconditionFailed(
                f"The {what} changed at the same time; read it again.", code="version_conflict"
            ) from None
        raise


def transaction_cancel_reasons(error: ClientError) -> list[str]:
    """The per-item reason codes of a cancelled transaction (``[]`` for any other error)."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons = error.response.get("CancellationReasons") or []
    if reasons:
        return [str(reason.get("Code", "None")) for reason in reasons]
    # Some SDK paths only carry the reasons in the message: "[ConditionalCheckFailed, None]".
    message = error.response.get("Error", {}).get("Message", "")
    start, end = message.rfind("["), message.rfind("]")
    if start == -1 or end < start:
        return []
    return [part.strip() for part in message[start + 1 : end].split(",")]


_CURSOR_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


def encode_cursor(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_cursor() -> InvalidInput:
    """The one error for a cursor this API did not make (also for one that decodes but does not fit)."""
    return InvalidInput(
        "The cursor is not one this API returned.",
        code="invalid_cursor",
        errors=[FieldError("query.cursor", "Not a cursor this API returned.", "invalid_cursor")],
    )


def decode_cursor(cursor: str, expected_keys: set[str] | None = None) -> dict[str, Any]:
    """Parse a cursor this service made; anything else is the caller's error, not ours."""
    invalid = invalid_cursor()
    # Base64 decoding skips characters outside its alphabet: check them first, so an edited
    # cursor is refused rather than read as its neighbour.
    if not _CURSOR_ALPHABET.fullmatch(cursor):
        raise invalid
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise invalid from None
    if not isinstance(state, dict):
        raise invalid
    if expected_keys is not None and set(state) - expected_keys:
        raise invalid
    return state


#: DynamoDB's answers that mean "not now" rather than "no": throttling (after the SDK's own
#: retries), internal errors, transactions colliding.
TRANSIENT_ERRORS = frozenset(
    {
        "InternalServerError",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ThrottlingException",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)


@contextmanager
def outage_raises(unavailable: Callable[[], Exception]) -> Iterator[None]:
    """Throttling, timeouts and lost connections become ``unavailable()`` (the caller may retry);
    any other error goes on as it is."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in TRANSIENT_ERRORS:
            raise unavailable() from error
        raise
    except (BotocoreConnectionError, HTTPClientError) as error:
        raise unavailable() from error
