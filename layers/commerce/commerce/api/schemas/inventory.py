"""Request and response shapes of the inventory API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from commerce.api.schemas.common import RequestModel, Schema
from commerce.inventory.model import MAX_QUANTITY, Movement, StockLevel

__all__ = ["AdjustmentRequest", "MovementList", "MovementOut", "StockOut", "StockUpdate", "WarehouseOut"]

WarehouseId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class StockUpdate(RequestModel):
    """A stock take: the units sellable now in one warehouse."""

    available: StrictInt = Field(ge=0, le=MAX_QUANTITY)
    warehouse_id: WarehouseId | None = Field(default=None, description="Defaults to `main`.")
    priority: StrictInt | None = Field(
        default=None, ge=0, le=1000, description="Lower is served first when a line spans warehouses."
    )
    low_stock_threshold: StrictInt | None = Field(
        default=None, ge=0, le=MAX_QUANTITY, description="StockLow is published below this (default 5)."
    )


class AdjustmentRequest(RequestModel):
    delta: StrictInt = Field(
        ge=-MAX_QUANTITY, le=MAX_QUANTITY, description="Positive restocks, negative writes off."
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    warehouse_id: WarehouseId | None = None


class WarehouseOut(Schema):
    warehouse_id: str
    available: int
    reserved: int
    priority: int


class StockOut(Schema):
    product_id: str
    available: int
    reserved: int
    in_stock: bool
    by_warehouse: list[WarehouseOut]

    @classmethod
    def of(cls, level: StockLevel) -> StockOut:
        return cls(
            product_id=level.product_id,
            available=level.available,
            reserved=level.reserved,
            in_stock=level.available > 0,
            by_warehouse=[
                WarehouseOut(
                    warehouse_id=w.warehouse_id,
                    available=w.available,
                    reserved=w.reserved,
                    priority=w.priority,
                )
                for w in level.in_priority_order()
            ],
        )


class MovementOut(Schema):
    movement_id: str
    kind: str
    warehouse_id: str
    delta_available: int
    delta_reserved: int
    delta_sold: int
    reason: str | None
    actor: str | None
    order_id: str | None
    at: datetime

    @classmethod
    def of(cls, movement: Movement) -> MovementOut:
        return cls(
            movement_id=movement.movement_id,
            kind=movement.kind.value,
            warehouse_id=movement.warehouse_id,
            delta_available=movement.delta_available,
            delta_reserved=movement.delta_reserved,
            delta_sold=movement.delta_sold,
            reason=movement.reason,
            actor=movement.actor,
            order_id=movement.order_id,
            at=movement.at,
        )


class MovementList(Schema):
    items: list[MovementOut]
