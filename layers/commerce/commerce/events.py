"""Domain events and the port that publishes them (EventBridge in AWS and locally)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

__all__ = ["DomainEvent", "EventPublisher"]


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One fact, named in the past tense. ``detail`` follows the schema in events/schemas/."""

    source: str
    detail_type: str
    detail: dict[str, Any]


class EventPublisher(ABC):
    @abstractmethod
    def publish(self, events: list[DomainEvent]) -> None:
        """Publish all or raise (so a stream batch is retried rather than an event lost)."""
