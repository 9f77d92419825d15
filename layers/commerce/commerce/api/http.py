"""Builds each function's resolver the same way: validation, CORS, problem+json errors,
a body-size limit, structured logs and traces."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import problems
from commerce.api.caching import NotModified
from commerce.bootstrap import settings
from commerce.errors import CommerceError

__all__ = ["LambdaHandler", "create_resolver", "lambda_handler"]

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

_CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match"],
    expose_headers=["Location", "ETag"],
    max_age=600,
)


def create_resolver(logger: Logger) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True, cors=_CORS)

    @app.exception_handler(CommerceError)
    def _domain_error(error: CommerceError) -> Response[Any]:
        response = problems.from_error(error)
        if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            logger.error("request failed", extra={"code": error.code, "detail": error.detail})
        return response

    @app.exception_handler(NotModified)
    def _not_modified(answer: NotModified) -> Response[Any]:
        return Response(status_code=HTTPStatus.NOT_MODIFIED, body=None, headers=answer.headers)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        return problems.from_validation_errors(list(error.errors()))

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_content(error: RequestUnsupportedContentType) -> Response[Any]:
        return problems.problem(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as application/json.",
        )

    @app.not_found
    def _no_route(error: NotFoundError) -> Response[Any]:
        return problems.problem(HTTPStatus.NOT_FOUND, "route_not_found", "No such resource.")

    return app


def _body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return len(base64.b64decode(body, validate=False))
        except (binascii.Error, ValueError):
            return len(body)
    return len(body.encode("utf-8", "surrogatepass"))


def _traced(handler: LambdaHandler) -> LambdaHandler:
    """X-Ray subsegments cost ~200 ms of cold start (the SDK builds its own botocore client),
    so the SDK is only imported when tracing is switched on (``POWERTOOLS_TRACE_DISABLED``)."""
    if not settings().detailed_tracing:
        return handler
    from aws_lambda_powertools import Tracer

    return cast(LambdaHandler, Tracer().capture_lambda_handler(handler, capture_response=False))


def lambda_handler(app: APIGatewayHttpResolver, logger: Logger) -> LambdaHandler:
    """The function's entry point: rejects oversized bodies before parsing, then routes."""

    def route(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        limit = settings().max_body_bytes
        if _body_size(event) > limit:
            too_large = problems.problem(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large",
                f"The request body is larger than {limit} bytes.",
            )
            return {
                "statusCode": too_large.status_code,
                "headers": {
                    "Content-Type": problems.PROBLEM_CONTENT_TYPE,
                    "Access-Control-Allow-Origin": "*",
                },
                "body": too_large.body,
                "isBase64Encoded": False,
            }
        return app.resolve(event, context)

    traced: list[LambdaHandler] = []

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if not traced:
            traced.append(_traced(route))
        return traced[0](event, context)

    return cast(LambdaHandler, handler)
