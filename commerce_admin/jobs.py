"""Jobs run where they run in production: the CLI invokes the jobs function (``lambda invoke``),
never the job's code in its own process (an embedded search index, for one, lives in the function's
process locally)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["JobFailed", "JobResult", "UnknownJob", "run_job"]

_UNKNOWN = re.compile(r"unknown job '(?P<name>[^']*)'")
_KNOWN = re.compile(r"known jobs?: (?P<names>[a-z0-9_, ]+)", re.IGNORECASE)


class JobFailed(Exception):
    """The function ran the job and it raised (Lambda's ``FunctionError``)."""

    def __init__(self, job: str, error_type: str, message: str) -> None:
        super().__init__(f"{job} failed: {error_type}: {message}")
        self.job = job
        self.error_type = error_type
        self.message = message


class UnknownJob(JobFailed):
    """The function has no job by that name; ``known`` lists the ones it has, when it said."""

    def __init__(self, job: str, error_type: str, message: str, known: list[str]) -> None:
        super().__init__(job, error_type, message)
        self.known = known


@dataclass(frozen=True)
class JobResult:
    job: str
    summary: dict[str, Any]


def _failure(job: str, payload: Any) -> JobFailed:
    body = payload if isinstance(payload, dict) else {}
    message = str(body.get("errorMessage", payload))
    error_type = str(body.get("errorType", "Error"))
    if _UNKNOWN.search(message):
        known = _KNOWN.search(message)
        names = [n.strip() for n in known.group("names").split(",") if n.strip()] if known else []
        return UnknownJob(job, error_type, message, names)
    return JobFailed(job, error_type, message)


def run_job(lambda_client: Any, function_name: str, job: str, day: date | None = None) -> JobResult:
    """Invoke the jobs function and wait for it (RequestResponse); raises ``JobFailed``."""
    event: dict[str, Any] = {"job": job}
    if day is not None:
        event["day"] = day.isoformat()
    response = lambda_client.invoke(
        FunctionName=function_name,
        InvocationType="RequestResponse",
        Payload=json.dumps(event).encode(),
    )
    raw = response["Payload"].read()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode(errors="replace")
    if response.get("FunctionError"):
        raise _failure(job, payload)
    summary = payload if isinstance(payload, dict) else {"result": payload}
    return JobResult(job, {key: value for key, value in summary.items() if key != "job"})
