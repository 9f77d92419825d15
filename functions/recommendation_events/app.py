"""Learns from each confirmed order: what was bought together, what the customer likes, what
is selling. EventBridge may deliver an event more than once; the service records each order
once. An exception makes EventBridge retry (the rule's retry policy), which is what we want
when DynamoDB is briefly unavailable.

No ``from __future__ import annotations`` here: the event model's field types must resolve
when the handler is loaded as a file, outside any package.
"""

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from commerce.bootstrap import recommendation_service

logger = Logger(service="recommendation-events")


class ConfirmedLine(BaseModel):
    product_id: str
    seller_id: str
    quantity: int = Field(ge=1)


class OrderConfirmed(BaseModel):
    """The part of ``OrderConfirmed`` (events/schemas/orders.json) this function needs."""

    order_id: str
    customer_id: str
    lines: list[ConfirmedLine]
    confirmed_at: datetime


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order = OrderConfirmed.model_validate(event.get("detail") or {})
    recorded = recommendation_service().record_order(
        order.order_id,
        order.customer_id,
        [(line.product_id, line.seller_id, line.quantity) for line in order.lines],
        order.confirmed_at,
    )
    logger.info("order learnt from", extra={"order_id": order.order_id, "recorded": recorded})
    return {"order_id": order.order_id, "recorded": recorded}
