"""Turns each file a seller uploaded into the product's next image (four sizes), or refuses it.

S3 announces new objects to EventBridge, whose rule invokes this function asynchronously: an
exception makes Lambda retry (a storage or database hiccup), while a refused file is a normal
outcome recorded on the upload. The same event may arrive twice; the service handles it once.

No ``from __future__ import annotations`` here: the event model's field types must resolve
when the handler is loaded as a file, outside any package.
"""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from commerce.bootstrap import image_processor, settings

logger = Logger(service="image-processor")


class S3Bucket(BaseModel):
    name: str


class S3Object(BaseModel):
    key: str
    size: int | None = None


class ObjectCreated(BaseModel):
    """The part of S3's "Object Created" EventBridge event this function needs."""

    bucket: S3Bucket
    s3_object: S3Object = Field(alias="object")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    created = ObjectCreated.model_validate(event.get("detail") or {})
    key = created.s3_object.key
    if created.bucket.name != settings().require("uploads_bucket"):
        logger.warning(
            "object from another bucket ignored", extra={"bucket": created.bucket.name, "key": key}
        )
        return {"outcome": "ignored", "key": key}
    processed = image_processor().process(key)
    result = {
        "outcome": processed.outcome.value,
        "upload_id": processed.upload_id,
        "reason": processed.reason.value if processed.reason else None,
    }
    logger.info("upload processed", extra={"key": key, **result})
    return result
