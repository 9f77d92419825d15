"""Product image uploads: a seller (or an admin) gets a presigned form for one picture of a
product, posts the file straight to S3 with it, and follows what became of it.

Thin: each route validates with pydantic, calls one service method and shapes the reply.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from commerce.api.auth import principal
from commerce.api.caching import PRIVATE_NO_STORE
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.problems import PROBLEM_CONTENT_TYPE
from commerce.api.schemas.common import Problem
from commerce.api.schemas.images import UploadFormOut, UploadRequest, UploadStatusOut
from commerce.bootstrap import image_upload_service
from commerce.ids import ULID_PATTERN

logger = Logger(service="image-uploads")
app = create_resolver(logger)

Id = Annotated[str, Path(pattern=ULID_PATTERN)]


def _problem(description: str) -> OpenAPIResponse:
    """An error reply as the OpenAPI document describes it: problem details."""
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"model": Problem}}}


@app.post(
    "/v1/products/<product_id>/images/uploads",
    tags=["images"],
    summary="A form to upload one picture of the product (its seller or an admin)",
    responses={
        201: {"description": "Post the fields and the file to `url` before `expires_at`."},
        403: _problem("`not_product_owner`: another seller's product (or `role_required`)."),
        404: _problem("`product_not_found`."),
        409: _problem("`too_many_images` (10 at most) or `product_archived`."),
    },
)
def start_upload(product_id: Id, request: UploadRequest) -> Response[UploadFormOut]:
    started = image_upload_service().start(principal(app), product_id, request.content_type, request.alt)
    logger.info("upload form issued", extra={"product_id": product_id, "upload_id": started.upload.upload_id})
    body = UploadFormOut.of(started)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={**PRIVATE_NO_STORE, "Location": body.status_url},
    )


@app.get(
    "/v1/products/<product_id>/images/uploads/<upload_id>",
    tags=["images"],
    summary="What became of an upload: pending, ready (with the image) or rejected (with a reason)",
    responses={
        403: _problem("`not_product_owner`: another seller's upload (or `role_required`)."),
        404: _problem("`upload_not_found`: unknown, for another product, or older than a day."),
    },
)
def get_upload(product_id: Id, upload_id: Id) -> Response[UploadStatusOut]:
    upload = image_upload_service().status(principal(app), product_id, upload_id)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=UploadStatusOut.of(upload),
        headers=dict(PRIVATE_NO_STORE),
    )


handler = lambda_handler(app, logger)
