"""API Gateway HTTP API, locally: route selection, the JWT authorizer, CORS preflight and
the payload format 2.0 event and response mapping, as AWS documents them."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from localcloud.authorizer import JwtAuthorizer, Unauthorized
from localcloud.template import RouteSpec

__all__ = ["GatewayResponse", "HttpApiGateway"]

#: API Gateway's own limit on a request payload.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/xml",
    "application/javascript",
)


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    function_id: str | None = None

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


@dataclass
class _CompiledRoute:
    spec: RouteSpec
    pattern: re.Pattern[str] | None
    params: list[str] = field(default_factory=list)
    specificity: tuple[int, int] = (0, 0)


def _compile(route: RouteSpec) -> _CompiledRoute:
    if route.path == "$default":
        return _CompiledRoute(route, None, [], (-1, 0))
    params: list[str] = []
    regex = ""
    for segment in route.path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            params.append(segment[1:-2])
            regex += r"/(.+)"
        elif segment.startswith("{") and segment.endswith("}"):
            params.append(segment[1:-1])
            regex += r"/([^/]+)"
        else:
            regex += "/" + re.escape(segment)
    literal = len(re.sub(r"\{[^}]+\}", "", route.path))
    greedy = any(s.endswith("+}") for s in route.path.split("/"))
    return _CompiledRoute(route, re.compile(f"^{regex or '/'}$"), params, (0 if greedy else 1, literal))


def _json(status: int, body: dict[str, Any], extra: list[tuple[str, str]] | None = None) -> GatewayResponse:
    headers = [("content-type", "application/json"), *(extra or [])]
    return GatewayResponse(status, headers, json.dumps(body).encode())


class HttpApiGateway:
    def __init__(
        self,
        routes: list[RouteSpec],
        authorizers: dict[str, JwtAuthorizer],
        invoke: Callable[[str, dict[str, Any]], Any],
        cors: dict[str, Any] | None = None,
        api_id: str = "local",
        stage: str = "$default",
    ) -> None:
        self._routes = sorted((_compile(r) for r in routes), key=lambda r: r.specificity, reverse=True)
        self._authorizers = authorizers
        self._invoke = invoke
        self._cors = cors
        self.api_id = api_id
        self.stage = stage

    # ------------------------------------------------------------------ routing
    def _match(self, method: str, path: str) -> tuple[_CompiledRoute, dict[str, str]] | None:
        default: _CompiledRoute | None = None
        for route in self._routes:
            if route.pattern is None:
                if route.spec.method in {"ANY", method}:
                    default = route
                continue
            if route.spec.method not in {"ANY", method}:
                continue
            found = route.pattern.match(path)
            if found:
                return route, {
                    name: unquote(value) for name, value in zip(route.params, found.groups(), strict=True)
                }
        return (default, {}) if default else None

    def _cors_headers(self, origin: str | None) -> list[tuple[str, str]]:
        if not self._cors or origin is None:
            return []
        allowed = self._cors.get("allowOrigins", [])
        if "*" not in allowed and origin not in allowed:
            return []
        headers = [("access-control-allow-origin", "*" if "*" in allowed else origin)]
        if self._cors.get("exposeHeaders"):
            headers.append(("access-control-expose-headers", ",".join(self._cors["exposeHeaders"])))
        return headers

    def _preflight(self, headers: dict[str, str]) -> GatewayResponse:
        cors = self._cors or {}
        response = self._cors_headers(headers.get("origin"))
        if response:
            response += [
                ("access-control-allow-methods", ",".join(cors.get("allowMethods", []))),
                ("access-control-allow-headers", ",".join(cors.get("allowHeaders", []))),
                ("access-control-max-age", str(cors.get("maxAge", 0))),
            ]
        return GatewayResponse(204, response, b"")

    # ------------------------------------------------------------------ requests
    def handle(
        self,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> GatewayResponse:
        method = method.upper()
        merged: dict[str, str] = {}
        cookies: list[str] = []
        for key, value in headers:
            name = key.lower()
            if name == "cookie":
                cookies.extend(part.strip() for part in value.split(";") if part.strip())
                continue
            merged[name] = f"{merged[name]},{value}" if name in merged else value
        if len(body) > MAX_PAYLOAD_BYTES:
            return _json(413, {"message": "Request Entity Too Large"})
        if method == "OPTIONS" and self._cors and "access-control-request-method" in merged:
            return self._preflight(merged)
        path = raw_path or "/"
        matched = self._match(method, path)
        if matched is None:
            return _json(404, {"message": "Not Found"})
        route, path_parameters = matched
        authorizer_block: dict[str, Any] | None = None
        if route.spec.authorizer is not None:
            try:
                authorizer_block = self._authorizers[route.spec.authorizer].authorize(merged)
            except Unauthorized:
                # HTTP APIs answer exactly this; it cannot be customised in AWS either.
                return _json(
                    401,
                    {"message": "Unauthorized"},
                    [
                        ("www-authenticate", 'Bearer realm="commerce"'),
                        *self._cors_headers(merged.get("origin")),
                    ],
                )
        event = self._event(
            method,
            route,
            path,
            raw_query,
            merged,
            cookies,
            body,
            path_parameters,
            authorizer_block,
            source_ip,
        )
        try:
            result = self._invoke(route.spec.function_id, event)
        except Exception:  # noqa: BLE001 - API Gateway turns any function error into this 500
            return _json(500, {"message": "Internal Server Error"})
        response = self._response(result)
        response.headers += self._cors_headers(merged.get("origin"))
        response.function_id = route.spec.function_id
        return response

    def _event(
        self,
        method: str,
        route: _CompiledRoute,
        path: str,
        raw_query: str,
        headers: dict[str, str],
        cookies: list[str],
        body: bytes,
        path_parameters: dict[str, str],
        authorizer: dict[str, Any] | None,
        source_ip: str,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        route_key = "$default" if route.spec.path == "$default" else f"{route.spec.method} {route.spec.path}"
        query: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        content_type = headers.get("content-type", "")
        is_text = not body or any(content_type.startswith(t) for t in _TEXT_TYPES) or content_type == ""
        try:
            text_body = body.decode("utf-8") if is_text else None
        except UnicodeDecodeError:
            text_body = None
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": self.api_id,
                "domainName": headers.get("host", "127.0.0.1"),
                "domainPrefix": self.api_id,
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": uuid.uuid4().hex,
                "routeKey": route_key,
                "stage": self.stage,
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(time.time() * 1000),
            },
            "isBase64Encoded": text_body is None,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if path_parameters:
            event["pathParameters"] = path_parameters
        if authorizer is not None:
            event["requestContext"]["authorizer"] = authorizer
        if body:
            event["body"] = text_body if text_body is not None else base64.b64encode(body).decode()
        return event

    @staticmethod
    def _response(result: Any) -> GatewayResponse:
        """Payload format 2.0: a dict with statusCode is used as given; anything else is
        taken as a 200 JSON body (API Gateway's inference)."""
        if not (isinstance(result, dict) and "statusCode" in result):
            return GatewayResponse(200, [("content-type", "application/json")], json.dumps(result).encode())
        headers = [(k.lower(), str(v)) for k, v in (result.get("headers") or {}).items()]
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((key.lower(), str(v)) for v in values)
        headers.extend(("set-cookie", cookie) for cookie in result.get("cookies") or [])
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        if not any(k == "content-type" for k, _ in headers) and body:
            headers.append(("content-type", "application/json"))
        return GatewayResponse(int(result["statusCode"]), headers, body)
