"""The event publisher on an EventBridge bus."""

from __future__ import annotations

import json
from typing import Any

from commerce.errors import DependencyFailure
from commerce.events import DomainEvent, EventPublisher

__all__ = ["EventBridgePublisher"]

_BATCH = 10  # PutEvents takes at most ten entries


class EventBridgePublisher(EventPublisher):
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, events: list[DomainEvent]) -> None:
        for start in range(0, len(events), _BATCH):
            entries = [
                {
                    "EventBusName": self._bus,
                    "Source": event.source,
                    "DetailType": event.detail_type,
                    "Detail": json.dumps(event.detail, separators=(",", ":")),
                }
                for event in events[start : start + _BATCH]
            ]
            response = self._client.put_events(Entries=entries)
            if response.get("FailedEntryCount", 0):
                raise DependencyFailure(
                    f"{response['FailedEntryCount']} events were not accepted by the bus.",
                    code="publish_failed",
                )
