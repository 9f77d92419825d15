"""Replies browsers and CDNs may keep: ``Cache-Control``, an ``ETag``, and 304 for ``If-None-Match``.

The ETag is a digest of the representation (every field the client sees), so anything that
changes what a shopper would see (price, availability, rating) changes it, and a conditional
GET never answers 304 over a changed body.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from pydantic import BaseModel

__all__ = ["PRIVATE_NO_STORE", "NotModified", "conditional_reply", "digest_etag", "matches_if_none_match"]

#: For anything private to one caller or changing as it is used (carts, orders, wallets).
PRIVATE_NO_STORE = {"Cache-Control": "no-store"}


class NotModified(Exception):
    """Answered as an empty 304 by every resolver (``commerce.api.http``): raised rather than
    returned because a route's declared body model would refuse an empty body."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("not modified")
        self.headers = headers


def digest_etag(body: BaseModel, prefix: str = "") -> str:
    digest = hashlib.blake2b(body.model_dump_json().encode(), digest_size=8).hexdigest()
    return f'"{prefix}{digest}"'


def matches_if_none_match(app: APIGatewayHttpResolver, etag: str) -> bool:
    """RFC 9110 weak comparison: ``W/"x"`` matches ``"x"``; ``*`` matches anything."""
    header = app.current_event.headers.get("if-none-match") or ""
    wanted = etag.removeprefix("W/")
    return any(
        candidate.strip() == "*" or candidate.strip().removeprefix("W/") == wanted
        for candidate in header.split(",")
    )


def conditional_reply(
    app: APIGatewayHttpResolver,
    body: BaseModel,
    *,
    max_age: int,
    private: bool = False,
    etag: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """``body`` with caching headers, or an empty 304 when the client already holds it.

    ``private`` replies (personalised ones) may be kept by the browser, never by a shared cache.
    Only a GET is cacheable: the reply to a write carries the new ETag and nothing else.
    """
    tag = etag or digest_etag(body)
    caching = {"ETag": tag, **(headers or {})}
    is_read = app.current_event.http_method in ("GET", "HEAD")
    if is_read:
        caching["Cache-Control"] = f"{'private' if private else 'public'}, max-age={max_age}"
        if private:
            caching["Vary"] = "Authorization"
    if is_read and status == 200 and matches_if_none_match(app, tag):
        raise NotModified(caching)
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=caching
    )
