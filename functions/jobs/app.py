"""Scheduled jobs. Each EventBridge schedule passes ``{"job": "<name>"}`` as its input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from commerce.bootstrap import inventory_service

logger = Logger(service="jobs")


class JobRequest(BaseModel):
    job: str


def release_expired_reservations() -> dict[str, Any]:
    return {"released": inventory_service().release_expired()}


JOBS: dict[str, Callable[[], dict[str, Any]]] = {
    "release_expired_reservations": release_expired_reservations,
}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = JobRequest.model_validate(event)
    job = JOBS.get(request.job)
    if job is None:
        raise ValueError(f"unknown job {request.job!r}")
    result = job()
    logger.info("job finished", extra={"job": request.job, **result})
    return {"job": request.job, **result}
