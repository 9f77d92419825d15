"""Scheduled jobs. Each EventBridge schedule passes ``{"job": "<name>"}`` as its input; a job that
works on a day also takes ``"day": "YYYY-MM-DD"`` (to run it again, or for today in tests), and a
job that works on the time now takes ``"now"`` (ISO 8601; an operator catching up, or tests making
hours pass; with a time zone). Jobs are idempotent, so a job that left part of its work undone
raises after logging what it did: Lambda retries a failed scheduled invocation (twice), and the
retry completes that part.

No ``from __future__ import annotations`` here: the request model's field types must resolve when
the handler is loaded as a file, outside any package.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel

from commerce.bootstrap import (
    cart_reminders,
    catalog_service,
    inventory_service,
    payment_reconciliation,
    recommendation_service,
    search_indexer,
    seller_sales_reports,
)
from commerce.clock import system_clock
from commerce.search.service import active_products

logger = Logger(service="jobs")


class JobRequest(BaseModel):
    job: str
    day: date | None = None
    now: AwareDatetime | None = None


class JobIncomplete(RuntimeError):
    """Part of the job failed (an email, a file); running it again completes that part only."""


def _completed(summary: dict[str, Any], failed: int) -> dict[str, Any]:
    if failed:
        logger.error("job left work undone", extra=summary)
        raise JobIncomplete(f"{failed} item(s) failed; running the job again completes them")
    return summary


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


def remind_abandoned_carts(request: JobRequest) -> dict[str, Any]:
    """Email customers whose cart has sat untouched for 20 hours, once per idle period (hourly)."""
    run = cart_reminders().run(request.now)
    return _completed(run.summary(), run.failed)


def report_seller_sales(request: JobRequest) -> dict[str, Any]:
    """Each seller's sales of the day (default: yesterday, UTC) as CSV in the reports bucket, and
    an email with the totals (daily; running a day again rewrites the files, emails nobody twice)."""
    run = seller_sales_reports().run(request.day, request.now)
    return _completed(run.summary(), run.failed)


JOBS: dict[str, Callable[[JobRequest], dict[str, Any]]] = {
    "release_expired_reservations": release_expired_reservations,
    "reconcile_payments": reconcile_payments,
    "refresh_trending": refresh_trending,
    "reindex_search": reindex_search,
    "remind_abandoned_carts": remind_abandoned_carts,
    "report_seller_sales": report_seller_sales,
}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = JobRequest.model_validate(event)
    job = JOBS.get(request.job)
    if job is None:
        raise ValueError(f"unknown job {request.job!r}; known jobs: {', '.join(sorted(JOBS))}")
    result = job(request)
    logger.info("job finished", extra={"job": request.job, **result})
    return {"job": request.job, **result}
