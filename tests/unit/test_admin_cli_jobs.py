"""Specification of running a job through the jobs function: the summary it returns, and its
failures (an unknown job names the jobs there are) as the CLI's own errors."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest

from commerce_admin.jobs import JobFailed, UnknownJob, run_job


class FakeLambda:
    """Lambda's Invoke: answers with ``payload``, as a function error when ``errored``."""

    def __init__(self, payload: Any, errored: bool = False) -> None:
        self.payload = payload
        self.errored = errored
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **params: Any) -> dict[str, Any]:
        self.calls.append({**params, "Payload": json.loads(params["Payload"])})
        response: dict[str, Any] = {
            "StatusCode": 200,
            "Payload": io.BytesIO(json.dumps(self.payload).encode()),
        }
        if self.errored:
            response["FunctionError"] = "Unhandled"
        return response


def test_a_job_is_invoked_synchronously_with_its_day_and_its_summary_returned() -> None:
    function = FakeLambda({"job": "reconcile_payments", "checked": 3, "mismatches": 0})

    result = run_job(function, "commerce-JobsFunction", "reconcile_payments", date(2026, 12, 1))

    assert result.summary == {"checked": 3, "mismatches": 0}
    [call] = function.calls
    assert call["FunctionName"] == "commerce-JobsFunction"
    assert call["InvocationType"] == "RequestResponse"
    assert call["Payload"] == {"job": "reconcile_payments", "day": "2026-12-01"}


def test_an_unknown_job_lists_the_jobs_the_function_has() -> None:
    function = FakeLambda(
        {
            "errorMessage": "unknown job 'coffee'; known jobs: refresh_trending, reindex_search",
            "errorType": "ValueError",
        },
        errored=True,
    )

    with pytest.raises(UnknownJob) as raised:
        run_job(function, "jobs", "coffee")

    assert raised.value.known == ["refresh_trending", "reindex_search"]


def test_a_job_that_raises_is_a_failure_with_the_functions_message() -> None:
    function = FakeLambda({"errorMessage": "2 item(s) failed", "errorType": "JobIncomplete"}, errored=True)

    with pytest.raises(
        JobFailed, match="report_seller_sales failed: JobIncomplete: 2 item\\(s\\) failed"
    ) as raised:
        run_job(function, "jobs", "report_seller_sales")

    assert not isinstance(raised.value, UnknownJob)
