"""Publishes order status changes (cancelled, shipped, delivered, refunded) from the orders
table's stream. Records that fail are reported back (partial batch response), so only they
are retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.adapters.dynamodb_orders import order_from_image
from commerce.bootstrap import order_event_publisher

logger = Logger(service="order-events")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change = record.raw_event.get("dynamodb") or {}
    order_event_publisher().order_changed(
        order_from_image(change.get("OldImage")), order_from_image(change.get("NewImage"))
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
