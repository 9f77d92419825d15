"""Tells customers about their orders and watched products, from the notifications queue.

Each record is one bus event. A record that fails is reported back (partial batch response), so
only it is retried, and after five receives SQS moves it to the dead-letter queue: an event that
cannot be read fails every time and ends there at once, an event whose email could not be sent
(SES refused, a throttle) is tried again. The service sends each delivery once, so a retried or
duplicated event never repeats what already went out.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api.schemas.notifications import parse_customer_event
from commerce.bootstrap import notification_service
from commerce.notifications.model import UnreadableEvent

logger = Logger(service="notifications")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    try:
        event = parse_customer_event(record.body)
    except UnreadableEvent as error:
        logger.error(
            "unreadable event, bound for the dead-letter queue",
            extra={
                "message_id": record.message_id,
                "receive_count": record.attributes.approximate_receive_count,
                "code": error.code,
                "detail": error.detail,
            },
        )
        raise
    outcome = notification_service().notify(event)
    summary = outcome.summary()
    # Most BackInStock events have no watchers: not worth a line each at INFO.
    log = logger.info if any(value for key, value in summary.items() if key != "notice_key") else logger.debug
    log("event notified", extra={"message_id": record.message_id, **summary})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
