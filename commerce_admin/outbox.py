"""What the local stack "sent": the emails and texts moto's SES and SNS kept, read from the local
stack's AWS endpoint (``make run`` serves them at ``/_localcloud/outbox``; AWS itself has no such
list, so this is local only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

__all__ = ["OUTBOX_PATH", "OutboxUnavailable", "read_outbox"]

OUTBOX_PATH = "/_localcloud/outbox"


class OutboxUnavailable(Exception):
    """No local stack answers at the endpoint (or it is not the local stack)."""


def read_outbox(endpoint_url: str, limit: int) -> dict[str, list[dict[str, Any]]]:
    url = f"{endpoint_url.rstrip('/')}{OUTBOX_PATH}?limit={limit}"
    if not url.startswith(("http://", "https://")):
        raise OutboxUnavailable(f"{endpoint_url} is not an http(s) URL.")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - http(s) only, checked above
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise OutboxUnavailable(
            f"{endpoint_url} answered {error.code} for {OUTBOX_PATH}: is it the local stack (make run)?"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise OutboxUnavailable(
            f"Nothing answers at {endpoint_url} ({reason}): is `make run` running?"
        ) from None
    return {"emails": list(body.get("emails", [])), "texts": list(body.get("texts", []))}
