"""Scheduled jobs. Each EventBridge schedule passes ``{"job": "<name>"}`` as its input; a job that
works on a day also takes ``"day": "YYYY-MM-DD"`` (to run it again, or for today in tests).

No ``from __future__ import annotations`` here: the request model's field types must resolve when
the handler is loaded as a file, outside any package.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from commerce.bootstrap import (
    catalog_service,
    inventory_service,
    payment_reconciliation,
    recommendation_service,
    search_indexer,
)
from commerce.clock import system_clock
from commerce.search.service import active_products

logger = Logger(service="jobs")


class JobRequest(BaseModel):
    job: str
    day: date | None = None


def release_expired_reservations(request: JobRequest) -> dict[str, Any]:
    return {"released": inventory_service().release_expired()}


def reconcile_payments(request: JobRequest) -> dict[str, Any]:
    """Compare the day's payments (default: yesterday, UTC) with each provider's records."""
    return payment_reconciliation().run(request.day).summary()


def refresh_trending(request: JobRequest) -> dict[str, Any]:
    """Rank what sold and was looked at most over the last 24 hours (hourly)."""
    return {"trending": len(recommendation_service().refresh_trending(system_clock()))}


def reindex_search(request: JobRequest) -> dict[str, Any]:
    """Rebuild the search index from the products table (after a mapping change, or to repair)."""
    return {"indexed": search_indexer().rebuild(active_products(catalog_service().products))}


JOBS: dict[str, Callable[[JobRequest], dict[str, Any]]] = {
    "release_expired_reservations": release_expired_reservations,
    "reconcile_payments": reconcile_payments,
    "refresh_trending": refresh_trending,
    "reindex_search": reindex_search,
}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = JobRequest.model_validate(event)
    job = JOBS.get(request.job)
    if job is None:
        raise ValueError(f"unknown job {request.job!r}")
    result = job(request)
    logger.info("job finished", extra={"job": request.job, **result})
    return {"job": request.job, **result}
