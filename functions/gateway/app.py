"""The API's own resources: the OpenAPI document, Swagger UI, and a problem+json 404 for
every route that does not exist (this function is the HTTP API's ``$default`` route).

``openapi.json`` beside this file is generated from every function's resolver by
``make openapi``; a test fails when it is stale.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response

from commerce.api.http import create_resolver, lambda_handler

logger = Logger(service="gateway")
app = create_resolver(logger)

_DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def _document() -> str:
    return _DOCUMENT.read_text(encoding="utf-8")


@cache
def _swagger_page() -> str:
    # Imported here: its pydantic models cost ~150 ms, paid only by the first /v1/docs.
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = Path(generate_swagger_html.__code__.co_filename).parent
    spec = json.dumps(json.loads(_document())).replace("</", "<\\/")
    js = (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = (assets / "swagger-ui.min.css").read_text(encoding="utf-8")
    return generate_swagger_html(spec, js, css, "", None, persist_authorization=True)


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=_document(),
        headers={"Cache-Control": "public, max-age=300"},
    )


@app.get("/v1/docs", include_in_schema=False)
def swagger_ui() -> Response[str]:
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=_swagger_page(),
        headers={"Cache-Control": "public, max-age=300"},
    )


handler = lambda_handler(app, logger)
