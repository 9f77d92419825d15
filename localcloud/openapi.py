"""One OpenAPI document for the whole API, merged from every function's resolver, with the
security of each route taken from template.yaml (the gateway, not the handler, enforces it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["build_document"]

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = (
    "Serverless commerce platform. Authenticated calls send `Authorization: Bearer <access token>` "
    "from `POST /v1/auth/login`. Errors are RFC 9457 problem details with a stable `code`. "
    "Money is integer minor units with an ISO 4217 currency."
)


def build_document(template_path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import Server

    from localcloud.template import load_template

    template = load_template(template_path, "us-east-1")
    merge = OpenAPIMerge(
        title="Commerce API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[Server(url="http://127.0.0.1:3000")],
        on_conflict="error",
    )
    served = {route.function_id for route in template.routes}
    for spec in sorted(template.functions.values(), key=lambda s: s.logical_id):
        if spec.logical_id in served:  # functions without HTTP routes (streams, schedules) have no resolver
            merge.add_file(spec.code_dir / "app.py", resolver_name="app")
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    secured = {(r.method.lower(), r.path) for r in template.routes if r.authorizer is not None}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if (method, path) in secured:
                operation["security"] = [{"bearerAuth": []}]
    document.setdefault("components", {}).setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Cognito access token.",
    }
    document["paths"] = dict(sorted(document.get("paths", {}).items()))
    return document
