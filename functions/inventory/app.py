"""Inventory API: public stock levels; stock takes, adjustments and the ledger for the
product's own seller.

Thin: each route validates with pydantic, calls one service method and shapes the reply.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from commerce.api.auth import principal
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.inventory import AdjustmentRequest, MovementList, MovementOut, StockOut, StockUpdate
from commerce.bootstrap import inventory_service
from commerce.ids import ULID_PATTERN

logger = Logger(service="inventory")
app = create_resolver(logger)

ProductId = Annotated[str, Path(pattern=ULID_PATTERN)]


@app.get("/v1/inventory/<product_id>", tags=["inventory"], summary="Stock of a product, by warehouse")
def get_stock(product_id: ProductId) -> StockOut:
    return StockOut.of(inventory_service().level(product_id))


@app.put(
    "/v1/inventory/<product_id>", tags=["inventory"], summary="Set a warehouse's stock (the product's seller)"
)
def set_stock(product_id: ProductId, update: StockUpdate) -> StockOut:
    service = inventory_service()
    caller = principal(app)
    if update.low_stock_threshold is not None:
        service.set_threshold(caller, product_id, update.low_stock_threshold)
    level = service.set_available(caller, product_id, update.available, update.warehouse_id, update.priority)
    return StockOut.of(level)


@app.post(
    "/v1/inventory/<product_id>/adjustments",
    tags=["inventory"],
    summary="Restock or write off units, with a reason (the product's seller)",
)
def adjust_stock(product_id: ProductId, adjustment: AdjustmentRequest) -> StockOut:
    level = inventory_service().adjust(
        principal(app), product_id, adjustment.delta, adjustment.reason, adjustment.warehouse_id
    )
    return StockOut.of(level)


@app.get("/v1/inventory/<product_id>/movements", tags=["inventory"], summary="The stock ledger, newest first")
def list_movements(product_id: ProductId, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> MovementList:
    movements = inventory_service().history(principal(app), product_id, limit)
    return MovementList(items=[MovementOut.of(m) for m in movements])


handler = lambda_handler(app, logger)
