"""A boto3 client that can be made to fail like a network: before a call, or after it was applied."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

__all__ = ["FaultyClient"]


class FaultyClient:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._down = False
        self._lose_next = False

    @contextmanager
    def outage(self) -> Iterator[None]:
        self._down = True
        try:
            yield
        finally:
            self._down = False

    @contextmanager
    def lost_response(self) -> Iterator[None]:
        """The next *write* is applied and its answer lost (reads answer, as a retry's read would)."""
        self._lose_next = True
        try:
            yield
        finally:
            self._lose_next = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith(("get_", "query", "scan", "batch_get")):
            if callable(attribute) and self._down:
                return self._unreachable
            return attribute
        return self._faulty(attribute)

    def _unreachable(self, *args: Any, **kwargs: Any) -> Any:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    def _faulty(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(*args: Any, **kwargs: Any) -> Any:
            if self._down:
                self._unreachable()
            result = call(*args, **kwargs)
            if self._lose_next:
                self._lose_next = False
                raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
            return result

        return faulty
