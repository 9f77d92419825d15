"""Turns changes of stock (the inventory table's stream) into StockLow, OutOfStock and
BackInStock events, published after the write has happened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commerce.clock import Clock, isoformat
from commerce.events import DomainEvent, EventPublisher
from commerce.inventory.model import stock_events
from commerce.inventory.ports import AvailabilityBoard, InventoryRepository

__all__ = ["SOURCE", "StockEventPublisher"]

SOURCE = "commerce.inventory"


def _available(image: Mapping[str, Any] | None) -> int:
    return int((image or {}).get("available", 0))


def _availability(available: int, threshold: int) -> str:
    if available <= 0:
        return "out_of_stock"
    return "low_stock" if available < threshold else "in_stock"


@dataclass
class StockEventPublisher:
    stock: InventoryRepository
    events: EventPublisher
    clock: Clock
    board: AvailabilityBoard | None = None

    def stock_changed(
        self, old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None
    ) -> list[DomainEvent]:
        """Handle one stream record of a warehouse item; returns what it published.

        The product's other warehouses are read as they are now, so for the (common) single
        warehouse product the before/after totals are exact.
        """
        image = new_image or old_image or {}
        if not str(image.get("sk", "")).startswith("WAREHOUSE#"):
            return []
        before_here, after_here = _available(old_image), _available(new_image)
        if before_here == after_here:
            return []
        product_id = str(image["product_id"])
        warehouse_id = str(image["warehouse_id"])
        level = self.stock.levels([product_id])[product_id]
        elsewhere = sum(w.available for w in level.warehouses if w.warehouse_id != warehouse_id)
        before, after = elsewhere + before_here, elsewhere + after_here
        published = [
            DomainEvent(
                source=SOURCE,
                detail_type=kind.value,
                detail={
                    "product_id": product_id,
                    "available": after,
                    "previously_available": before,
                    "low_stock_threshold": level.low_stock_threshold,
                    "warehouse_id": warehouse_id,
                    "occurred_at": isoformat(self.clock()),
                },
            )
            for kind in stock_events(before, after, level.low_stock_threshold)
        ]
        now_shown = _availability(after, level.low_stock_threshold)
        if self.board is not None and now_shown != _availability(before, level.low_stock_threshold):
            self.board.show(product_id, now_shown)
        if published:
            self.events.publish(published)
        return published
