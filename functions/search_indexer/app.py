"""Keeps the search index in step with the products table's stream.

Records are turned into the latest state of each product first (a batch may hold several
changes to one product: the last one wins), then written in one bulk call, so a batch of 100
changes costs one request to the engine. A product that could not be written has its records
reported back (partial batch response), so only they are retried.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.adapters.dynamodb_catalog import product_from_image
from commerce.bootstrap import search_indexer
from commerce.catalog.model import Product

logger = Logger(service="search-indexer")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class _Changes:
    """What the current batch did to each product, and which records say so."""

    def __init__(self) -> None:
        self.latest: dict[str, Product | None] = {}
        self.records: dict[str, list[str]] = {}

    def record_handler(self, record: DynamoDBRecord) -> None:
        change = record.raw_event.get("dynamodb") or {}
        keys = change.get("Keys") or {}
        product_id = (keys.get("product_id") or {}).get("S")
        if not product_id:
            raise ValueError("a products stream record without a product_id key")
        new_image = change.get("NewImage")
        self.latest[product_id] = product_from_image(new_image) if new_image else None
        self.records.setdefault(product_id, []).append(str(record.dynamodb.sequence_number))  # type: ignore[union-attr]


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    changes = _Changes()
    with processor(records=event.get("Records", []), handler=changes.record_handler):
        processor.process()
    response: dict[str, Any] = processor.response()
    failed = search_indexer().apply(changes.latest) if changes.latest else []
    if failed:
        logger.warning("products not indexed", extra={"product_ids": failed})
        response["batchItemFailures"].extend(
            {"itemIdentifier": sequence} for product_id in failed for sequence in changes.records[product_id]
        )
    return response
