"""Canaries for moto's Step Functions executor: the behaviours the order saga is designed on.

moto 5.2.5 with ``execute_state_machine`` runs Amazon States Language itself (a port of LocalStack's
interpreter); Lambda tasks reach our handlers through localcloud.hooks. Each test runs one small inline
definition and pins what moto does today, including where it differs from AWS (marked ``AWS differs``),
so that a moto upgrade that changes any of it fails here, by name, instead of somewhere in the saga.

What was found (moto 5.2.5):

1. ``lambda:invoke`` with ``Payload.$``, ``ResultSelector`` and ``ResultPath``: works as in AWS.
2. A raising handler: ``Error`` is the exception's class name (``BusinessFailure``), ``Cause`` is the
   compact JSON of the Lambda error payload ``{"errorMessage", "errorType", "stackTrace"}`` (AWS adds
   ``requestId``); ``Catch ["BusinessFailure"]``, ``States.TaskFailed`` and ``States.ALL`` match it;
   ``States.StringToJson($.failure.Cause)`` works, so a later state reads ``$.cause.errorMessage``.
3. ``Retry`` really sleeps (``time.sleep`` on the execution's thread): IntervalSeconds 1, BackoffRate 2,
   MaxAttempts 2 sleeps 1 s then 2 s. ``MaxDelaySeconds`` caps each interval; ``JitterStrategy: FULL``
   sleeps ``uniform(0, capped interval)``.
4. ``events:putEvents``: ``Detail.$`` pointing at an object is sent as that object's JSON, the event
   reaches the bus's rules with ``resources`` = [state machine ARN, execution ARN]; the result is
   ``{"FailedEntryCount": 0, "Entries": [{"EventId"}]}``. A bus that does not exist fails the task with
   ``States.Runtime`` (AWS differs: ``EventBridge.FailedEntry``), and moto lets ``States.ALL`` catch it
   (AWS differs: States.Runtime cannot be caught).
5. ``dynamodb:updateItem``: a failed ConditionExpression is ``DynamoDB.ConditionalCheckFailedException``,
   Cause ``The conditional request failed (Service: AmazonDynamoDBv2; ...)``; ``S.$`` with
   ``States.Format`` in Key works; ``SET #lines = :none`` with ``{"L": []}`` plus ``REMOVE`` works.
   ``lines`` is a DynamoDB reserved word: ``SET lines = ...`` is ``DynamoDB.ValidationException``
   (as in AWS), but moto evaluates the condition first, so a failing condition hides that.
6. ``$$.Execution.Name`` and ``$$.State.EnteredTime`` are strings (ISO 8601 with ``+00:00`` and
   microseconds; AWS uses ``Z`` and milliseconds). ``$$.Execution.StartTime`` is a Python datetime inside
   the interpreter: fine in a Lambda payload (serialised ISO), ``States.Format`` on it fails the
   execution with States.Runtime, and left in the execution's output it makes DescribeExecution raise
   ``TypeError`` in the caller.
7. StartExecution with a used name: same name and same input (byte-for-byte) while RUNNING returns the
   same execution; different input, or any input once finished, raises ``ExecutionAlreadyExists``.
   Without a name the ARN ends in ``:None``.
8. GetExecutionHistory has one event per step (``<Type>StateEntered``/``Exited``, ``TaskScheduled``/
   ``Started``/``Succeeded`` for ``arn:aws:states:::...`` resources, ``LambdaFunctionScheduled``/...
   for a plain function ARN); ``maxResults`` and ``reverseOrder`` are ignored, there is never a
   ``nextToken``.
9. ``lambda:invoke.waitForTaskToken``: SendTaskSuccess/SendTaskFailure resume it, also when sent from
   inside the handler; TimeoutSeconds expires into ``States.Timeout`` (Cause ""); HeartbeatSeconds
   expiry is also ``States.Timeout`` (AWS differs: ``States.HeartbeatTimeout``, which moto never
   matches); SendTaskFailure loses its ``cause`` (Cause is null); a used token is ``InvalidToken``.

The last section runs a throwaway SAM template through LocalCloud: a local ``DefinitionUri``,
``DefinitionSubstitutions`` and what ``reset()`` does with executions still running.
"""

from __future__ import annotations

import io
import json
import os
import re
import textwrap
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.common.retry import jitter_strategy_decl

from localcloud import LocalCloud
from localcloud.hooks import MOTO_CONFIG, install, uninstall
from localcloud.provision import apply_definition_substitutions
from localcloud.template import load_template

REGION = "us-east-1"
ACCOUNT = "123456789012"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")


class BusinessFailure(Exception):
    """A domain refusal the saga catches by name (the handler's exception class name is the Error)."""


class TransientFailure(Exception):
    """A failure the saga retries."""


# ------------------------------------------------------------------------------------------------ fixtures
# The same few lines as tests/canary/test_moto_hooks.py: the hooks installed, handlers recorded.


class RecordingDispatch:
    """Stands in for localcloud's dispatcher: records every call, answers per function."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, float]] = []
        self.handlers: dict[str, Callable[[Any], Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, function_name: str, event: Any) -> Any:
        with self._lock:
            self.calls.append((function_name, event, time.monotonic()))
        handler = self.handlers.get(function_name)
        if handler is not None:
            return handler(event)
        return {"handledBy": function_name, "received": event}

    def events_for(self, function_name: str) -> list[Any]:
        with self._lock:
            return [event for name, event, _ in self.calls if name == function_name]

    def times_for(self, function_name: str) -> list[float]:
        with self._lock:
            return [at for name, _, at in self.calls if name == function_name]


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def dispatch(aws_credentials: None) -> Iterator[RecordingDispatch]:
    recorder = RecordingDispatch()
    with mock_aws(config=MOTO_CONFIG):
        install(recorder)
        try:
            yield recorder
        finally:
            uninstall()


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def create_function(name: str) -> str:
    """A real zip, so moto accepts it; its code never runs (the dispatcher does)."""
    iam = client("iam")
    try:
        role = iam.get_role(RoleName="lambda-role")["Role"]["Arn"]
    except ClientError:
        role = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    raise AssertionError('not run')\n")
    return str(
        client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
    )


def create_state_machine(name: str, definition: dict[str, Any]) -> str:
    return str(
        client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn-role"
        )["stateMachineArn"]
    )


def start(machine: str, execution_input: Any, name: str = "run-1") -> str:
    """Always with a name: without one moto's execution ARN ends in ``:None``."""
    return str(
        client("stepfunctions").start_execution(
            stateMachineArn=machine, name=name, input=json.dumps(execution_input)
        )["executionArn"]
    )


def finished(execution_arn: str, timeout: float = 15.0) -> dict[str, Any]:
    sfn = client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.02)
    raise AssertionError(f"{execution_arn} still RUNNING after {timeout}s")


def run(definition: dict[str, Any], execution_input: Any = None, name: str = "run-1") -> dict[str, Any]:
    machine = create_state_machine(f"machine-{name}", definition)
    return finished(start(machine, execution_input if execution_input is not None else {}, name))


def output(described: dict[str, Any]) -> Any:
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def history_types(execution_arn: str) -> list[str]:
    events = client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    return [event["type"] for event in events]


def lambda_task(function_arn: str, **state: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
        **state,
    }


def raising(exception: Exception) -> Callable[[Any], Any]:
    def handler(event: Any) -> Any:
        raise exception

    return handler


# --------------------------------------------------------------------------------------- 1. lambda:invoke


def test_lambda_invoke_payload_result_selector_and_result_path(dispatch: RecordingDispatch) -> None:
    # GIVEN a lambda:invoke task that sends part of the state and keeps only the handler's result
    function_arn = create_function("steps")
    dispatch.handlers["steps"] = lambda event: {"reserved": event["lines"]}
    task = {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$.order"},
        "ResultSelector": {"result.$": "$.Payload"},
        "ResultPath": "$.step",
        "End": True,
    }
    # WHEN it runs
    described = run({"StartAt": "Reserve", "States": {"Reserve": task}}, {"order": {"lines": 2}, "keep": 1})
    # THEN the handler saw exactly the Payload, and the result landed under $.step beside the input
    assert dispatch.events_for("steps") == [{"lines": 2}]
    assert output(described) == {"order": {"lines": 2}, "keep": 1, "step": {"result": {"reserved": 2}}}


# ---------------------------------------------------------------------------------- 2. a handler that raises


def catch_then_parse_cause(function_arn: str, error_equals: list[str]) -> dict[str, Any]:
    return {
        "StartAt": "Reserve",
        "States": {
            "Reserve": lambda_task(
                function_arn,
                Catch=[{"ErrorEquals": error_equals, "ResultPath": "$.failure", "Next": "Parse"}],
                End=True,
            ),
            "Parse": {
                "Type": "Pass",
                "Parameters": {
                    "error.$": "$.failure.Error",
                    "cause.$": "States.StringToJson($.failure.Cause)",
                },
                "Next": "Read",
            },
            "Read": {
                "Type": "Pass",
                "Parameters": {"error.$": "$.error", "reason.$": "$.cause.errorMessage"},
                "End": True,
            },
        },
    }


def test_a_raising_handler_is_caught_by_its_exception_class_name(dispatch: RecordingDispatch) -> None:
    # GIVEN a handler raising a custom exception, caught by its class name, the Cause parsed as JSON
    function_arn = create_function("reserve")
    dispatch.handlers["reserve"] = raising(BusinessFailure("insufficient_stock"))
    described = run(catch_then_parse_cause(function_arn, ["BusinessFailure"]), {"order_id": "o-1"})
    # THEN a later state reads the handler's message through States.StringToJson
    assert output(described) == {"error": "BusinessFailure", "reason": "insufficient_stock"}


@pytest.mark.parametrize("error_equals", [["BusinessFailure"], ["States.TaskFailed"], ["States.ALL"]])
def test_the_catch_output_of_a_raising_handler(dispatch: RecordingDispatch, error_equals: list[str]) -> None:
    function_arn = create_function("reserve")
    dispatch.handlers["reserve"] = raising(BusinessFailure("insufficient_stock"))
    definition = {
        "StartAt": "Reserve",
        "States": {
            "Reserve": lambda_task(
                function_arn,
                Catch=[{"ErrorEquals": error_equals, "ResultPath": "$.failure", "Next": "Done"}],
                End=True,
            ),
            "Done": {"Type": "Pass", "End": True},
        },
    }
    failure = output(run(definition, {"order_id": "o-1"}))["failure"]
    # Error: the class name only (no module). Cause: the Lambda error payload as compact JSON.
    assert set(failure) == {"Error", "Cause"}
    assert failure["Error"] == "BusinessFailure"
    cause = json.loads(failure["Cause"])
    assert set(cause) == {"errorMessage", "errorType", "stackTrace"}  # AWS also has requestId
    assert cause["errorMessage"] == "insufficient_stock"
    assert cause["errorType"] == "BusinessFailure"
    assert isinstance(cause["stackTrace"], list)
    assert failure["Cause"] == json.dumps(cause, separators=(",", ":"))


def test_an_uncaught_handler_error_fails_the_execution_with_the_same_error_and_cause(
    dispatch: RecordingDispatch,
) -> None:
    function_arn = create_function("reserve")
    dispatch.handlers["reserve"] = raising(BusinessFailure("insufficient_stock"))
    definition = {
        "StartAt": "Reserve",
        "States": {
            "Reserve": lambda_task(
                function_arn,
                Catch=[{"ErrorEquals": ["SomethingElse"], "Next": "Done"}],
                End=True,
            ),
            "Done": {"Type": "Pass", "End": True},
        },
    }
    described = run(definition)
    assert described["status"] == "FAILED"
    assert described["error"] == "BusinessFailure"
    assert json.loads(described["cause"])["errorMessage"] == "insufficient_stock"


# ------------------------------------------------------------------------------------------------ 3. Retry


def test_retry_really_sleeps_and_the_second_attempt_succeeds(dispatch: RecordingDispatch) -> None:
    # GIVEN a handler that fails once with TransientFailure, retried after 1 s
    function_arn = create_function("flaky")
    attempts: list[int] = []

    def flaky(event: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise TransientFailure("try again")
        return {"attempt": len(attempts)}

    dispatch.handlers["flaky"] = flaky
    retry = {"ErrorEquals": ["TransientFailure"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}
    task = lambda_task(function_arn, Retry=[retry], OutputPath="$.Payload", End=True)
    # WHEN it runs
    described = run({"StartAt": "Flaky", "States": {"Flaky": task}})
    # THEN it succeeded on the second call, made one real second later
    assert output(described) == {"attempt": 2}
    first, second = dispatch.times_for("flaky")
    assert 0.95 <= second - first < 1.5
    # AND the history shows the failed attempt inside the one state
    assert history_types(described["executionArn"]) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


def test_retry_backoff_doubles_the_interval_until_max_attempts(dispatch: RecordingDispatch) -> None:
    function_arn = create_function("down")
    dispatch.handlers["down"] = raising(TransientFailure("still down"))
    retry = {"ErrorEquals": ["TransientFailure"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}
    described = run(
        {"StartAt": "Down", "States": {"Down": lambda_task(function_arn, Retry=[retry], End=True)}}
    )
    assert described["status"] == "FAILED"
    assert described["error"] == "TransientFailure"
    first, second, third = dispatch.times_for("down")
    assert 0.95 <= second - first < 1.5
    assert 1.95 <= third - second < 2.5


def test_retry_max_delay_seconds_caps_and_full_jitter_randomises_the_interval(
    dispatch: RecordingDispatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a retrier whose doubled interval (2 s) is capped at 1 s, with full jitter
    jitter_bounds: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        jitter_bounds.append((low, high))
        return high / 4

    monkeypatch.setattr(jitter_strategy_decl.random, "uniform", uniform)
    function_arn = create_function("down")
    dispatch.handlers["down"] = raising(TransientFailure("still down"))
    retry = {
        "ErrorEquals": ["TransientFailure"],
        "IntervalSeconds": 1,
        "MaxAttempts": 2,
        "BackoffRate": 2,
        "MaxDelaySeconds": 1,
        "JitterStrategy": "FULL",
    }
    described = run(
        {"StartAt": "Down", "States": {"Down": lambda_task(function_arn, Retry=[retry], End=True)}}
    )
    # THEN both are accepted: each sleep is uniform(0, min(interval, MaxDelaySeconds))
    assert described["status"] == "FAILED"
    assert jitter_bounds == [(0, 1), (0, 1)]
    first, second, third = dispatch.times_for("down")
    assert 0.2 <= second - first < 0.6
    assert 0.2 <= third - second < 0.6


# ------------------------------------------------------------------------------------ 4. events:putEvents


def bus_with_queue_tap(bus: str) -> str:
    """A rule on ``bus`` forwarding commerce.orders events to a queue the test can read."""
    events, sqs = client("events"), client("sqs")
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName="tap")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="tap", EventBusName=bus, EventPattern=json.dumps({"source": ["commerce.orders"]}))
    events.put_targets(Rule="tap", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return str(queue_url)


def put_events_machine(bus: str) -> dict[str, Any]:
    entry = {
        "EventBusName": bus,
        "Source": "commerce.orders",
        "DetailType": "OrderConfirmed",
        "Detail.$": "$.detail",
    }
    return {
        "StartAt": "Publish",
        "States": {
            "Publish": {
                "Type": "Task",
                "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {"Entries": [entry]},
                "ResultPath": "$.put",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Failed"}],
                "End": True,
            },
            "Failed": {"Type": "Pass", "End": True},
        },
    }


def test_put_events_delivers_the_detail_object_to_the_bus(dispatch: RecordingDispatch) -> None:
    # GIVEN a bus whose rule forwards to a queue
    queue_url = bus_with_queue_tap("commerce")
    detail = {"order_id": "o-1", "total": {"amount": 1250, "currency": "EUR"}}
    # WHEN a state machine puts an event whose Detail.$ is a JSON object
    described = run(put_events_machine("commerce"), {"detail": detail}, name="order-o-1")
    # THEN the task result is PutEvents' answer
    put = output(described)["put"]
    assert put["FailedEntryCount"] == 0
    [entry] = put["Entries"]
    # AND the bus got the object as detail, with the machine and the execution as resources
    [message] = client("sqs").receive_message(QueueUrl=queue_url)["Messages"]
    event = json.loads(message["Body"])
    assert event["id"] == entry["EventId"]
    assert event["source"] == "commerce.orders"
    assert event["detail-type"] == "OrderConfirmed"
    assert event["detail"] == detail
    assert event["resources"] == [
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:machine-order-o-1",
        described["executionArn"],
    ]


def test_put_events_to_a_missing_bus_is_a_catchable_states_runtime_error(dispatch: RecordingDispatch) -> None:
    # AWS differs twice: PutEvents reports a failed entry (EventBridge.FailedEntry), and States.Runtime
    # cannot be caught. moto raises ResourceNotFoundException inside the task instead.
    failure = output(run(put_events_machine("no-such-bus"), {"detail": {"order_id": "o-1"}}))["failure"]
    assert failure["Error"] == "States.Runtime"
    assert "ResourceNotFoundException" in failure["Cause"]
    assert "Event bus no-such-bus does not exist." in failure["Cause"]


# ----------------------------------------------------------------------------------- 5. dynamodb:updateItem


def create_carts_table() -> None:
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName="carts",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(
        TableName="carts",
        Item={
            "pk": {"S": "CART#c-1"},
            "lines": {"L": [{"S": "sku-1"}]},
            "reservation": {"S": "r-1"},
            "status": {"S": "OPEN"},
        },
    )


def clear_cart_machine(
    expected_status: str, update: str = "SET #lines = :none, #status = :done REMOVE reservation"
) -> dict[str, Any]:
    names = {"#status": "status"}
    if "#lines" in update:
        names["#lines"] = "lines"
    return {
        "StartAt": "ClearCart",
        "States": {
            "ClearCart": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": {
                    "TableName": "carts",
                    "Key": {"pk": {"S.$": "States.Format('CART#{}', $.customer_id)"}},
                    "UpdateExpression": update,
                    "ConditionExpression": "#status = :expected",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {
                        ":none": {"L": []},
                        ":done": {"S": "CHECKED_OUT"},
                        ":expected": {"S": expected_status},
                    },
                    "ReturnValues": "ALL_NEW",
                },
                "ResultPath": "$.update",
                "Catch": [
                    {
                        "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
                        "ResultPath": "$.failure",
                        "Next": "Refused",
                    }
                ],
                "End": True,
            },
            "Refused": {"Type": "Pass", "End": True},
        },
    }


def cart() -> dict[str, Any]:
    return dict(client("dynamodb").get_item(TableName="carts", Key={"pk": {"S": "CART#c-1"}})["Item"])


@pytest.mark.parametrize(
    ("customer_id", "expected_status"),
    [("c-1", "LOCKED"), ("nobody", "OPEN")],
    ids=["other-status", "no-item"],
)
def test_update_item_with_a_failing_condition_is_caught_by_its_dynamodb_error_name(
    dispatch: RecordingDispatch, customer_id: str, expected_status: str
) -> None:
    create_carts_table()
    before = cart()
    described = run(clear_cart_machine(expected_status), {"customer_id": customer_id})
    failure = output(described)["failure"]
    assert failure["Error"] == "DynamoDB.ConditionalCheckFailedException"
    assert failure["Cause"].startswith(
        "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; "
        "Error Code: ConditionalCheckFailedException; Request ID: "
    )
    assert cart() == before


def test_update_item_sets_an_empty_list_and_removes_an_attribute(dispatch: RecordingDispatch) -> None:
    create_carts_table()
    result = output(run(clear_cart_machine(expected_status="OPEN"), {"customer_id": "c-1"}))["update"]
    expected = {"pk": {"S": "CART#c-1"}, "lines": {"L": []}, "status": {"S": "CHECKED_OUT"}}
    assert result["Attributes"] == expected
    assert cart() == expected


def test_update_item_refuses_the_reserved_word_lines_unless_the_condition_fails_first(
    dispatch: RecordingDispatch,
) -> None:
    # `lines` is a DynamoDB reserved word: write #lines. moto checks the condition before the expression.
    create_carts_table()
    unquoted = "SET lines = :none, #status = :done REMOVE reservation"
    described = run(clear_cart_machine("OPEN", update=unquoted), {"customer_id": "c-1"}, name="passing")
    assert described["status"] == "FAILED"
    assert described["error"] == "DynamoDB.ValidationException"
    assert "reserved keyword: lines" in described["cause"]
    failing = run(clear_cart_machine("LOCKED", update=unquoted), {"customer_id": "c-1"}, name="failing")
    assert output(failing)["failure"]["Error"] == "DynamoDB.ConditionalCheckFailedException"  # AWS differs


# ------------------------------------------------------------------------------------ 6. the context object


def test_context_object_name_and_entered_time_are_strings(dispatch: RecordingDispatch) -> None:
    parameters = {
        "name.$": "$$.Execution.Name",
        "entered.$": "$$.State.EnteredTime",
        "state.$": "$$.State.Name",
        "id.$": "$$.Execution.Id",
        "machine.$": "$$.StateMachine.Name",
        "input.$": "$$.Execution.Input",
    }
    definition = {
        "StartAt": "Stamp",
        "States": {"Stamp": {"Type": "Pass", "Parameters": parameters, "End": True}},
    }
    described = run(definition, {"a": 1}, name="order-o-1")
    stamped = output(described)
    assert stamped["name"] == "order-o-1"
    assert ISO_WITH_OFFSET.match(stamped["entered"]), stamped["entered"]  # AWS: 2026-01-01T00:00:00.000Z
    assert stamped["state"] == "Stamp"
    assert stamped["id"] == described["executionArn"]
    assert stamped["machine"] == "machine-order-o-1"
    assert stamped["input"] == {"a": 1}


def test_context_object_start_time_reaches_a_lambda_payload_as_an_iso_string(
    dispatch: RecordingDispatch,
) -> None:
    function_arn = create_function("stamp")
    dispatch.handlers["stamp"] = lambda event: event
    task = {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {
            "FunctionName": function_arn,
            "Payload": {"started.$": "$$.Execution.StartTime", "retry.$": "$$.State.RetryCount"},
        },
        "OutputPath": "$.Payload",
        "End": True,
    }
    stamped = output(run({"StartAt": "Stamp", "States": {"Stamp": task}}))
    assert ISO_WITH_OFFSET.match(stamped["started"]), stamped["started"]
    assert stamped["retry"] == 0  # only Task states have RetryCount: in a Pass state it is States.Runtime


def test_context_object_start_time_is_a_datetime_that_breaks_format_and_describe(
    dispatch: RecordingDispatch,
) -> None:
    # In States.Format it fails the execution...
    formatted = {
        "Type": "Pass",
        "Parameters": {"at.$": "States.Format('{}', $$.Execution.StartTime)"},
        "End": True,
    }
    described = run({"StartAt": "Stamp", "States": {"Stamp": formatted}}, name="format")
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert "datetime is not JSON serializable" in described["cause"]
    # ...and left in the output, DescribeExecution itself raises (in-process, not as a ClientError)
    kept = {"Type": "Pass", "Parameters": {"at.$": "$$.Execution.StartTime"}, "End": True}
    machine = create_state_machine("kept", {"StartAt": "Stamp", "States": {"Stamp": kept}})
    execution_arn = start(machine, {}, name="kept")
    sfn = client("stepfunctions")
    deadline = time.monotonic() + 10
    while sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with pytest.raises(TypeError, match="datetime is not JSON serializable"):
        sfn.describe_execution(executionArn=execution_arn)


# ------------------------------------------------------------------------ 7. StartExecution with a used name


def test_start_execution_name_reuse(dispatch: RecordingDispatch) -> None:
    sfn = client("stepfunctions")
    machine = create_state_machine(
        "waits", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}
    )
    first = sfn.start_execution(stateMachineArn=machine, name="order-1", input='{"a":1}')
    # Same name, same input, still RUNNING: the same execution back (idempotent, as in AWS)
    again = sfn.start_execution(stateMachineArn=machine, name="order-1", input='{"a":1}')
    assert again["executionArn"] == first["executionArn"]
    assert again["startDate"] == first["startDate"]
    # The input is compared as text: the same JSON spelt differently is a different input
    for different in ('{"a": 1}', '{"a":2}'):
        with pytest.raises(ClientError) as refused:
            sfn.start_execution(stateMachineArn=machine, name="order-1", input=different)
        assert refused.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    # Once finished, even the same input is refused (AWS: for 90 days)
    assert finished(first["executionArn"])["status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=machine, name="order-1", input='{"a":1}')
    assert refused.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1


def test_start_execution_without_a_name_ends_the_arn_in_none(dispatch: RecordingDispatch) -> None:
    machine = create_state_machine(
        "nameless", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    execution_arn = client("stepfunctions").start_execution(stateMachineArn=machine, input="{}")[
        "executionArn"
    ]
    assert execution_arn.endswith(":None")


# ------------------------------------------------------------------------------------- 8. execution history


def test_execution_history_events_for_a_three_state_machine(dispatch: RecordingDispatch) -> None:
    # GIVEN an integration task, a plain function ARN task and a Pass state
    function_arn = create_function("step")
    definition = {
        "StartAt": "Integration",
        "States": {
            "Integration": lambda_task(function_arn, ResultPath="$.a", Next="FunctionArn"),
            "FunctionArn": {"Type": "Task", "Resource": function_arn, "ResultPath": "$.b", "Next": "Pass"},
            "Pass": {"Type": "Pass", "End": True},
        },
    }
    described = run(definition, {"x": 1})
    sfn = client("stepfunctions")
    response = sfn.get_execution_history(executionArn=described["executionArn"], maxResults=3)
    events = response["events"]
    # THEN every event comes in one page (maxResults ignored, no nextToken), oldest first
    assert "nextToken" not in response
    assert [event["type"] for event in events] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [event["id"] for event in events] == list(range(1, 15))
    reversed_ids = [
        e["id"]
        for e in sfn.get_execution_history(executionArn=described["executionArn"], reverseOrder=True)[
            "events"
        ]
    ]
    assert reversed_ids == list(range(1, 15))  # reverseOrder ignored
    # AND state transitions and task invocations can be counted from it
    assert sum(event["type"].endswith("StateEntered") for event in events) == 3
    scheduled = [event for event in events if event["type"] == "TaskScheduled"]
    assert scheduled[0]["taskScheduledEventDetails"]["resourceType"] == "lambda"
    assert scheduled[0]["taskScheduledEventDetails"]["resource"] == "invoke"
    [lambda_scheduled] = [event for event in events if event["type"] == "LambdaFunctionScheduled"]
    assert lambda_scheduled["lambdaFunctionScheduledEventDetails"]["resource"] == function_arn
    entered = [
        event["stateEnteredEventDetails"]["name"] for event in events if "stateEnteredEventDetails" in event
    ]
    assert entered == ["Integration", "FunctionArn", "Pass"]


# ------------------------------------------------------------------------------------ 9. waitForTaskToken


def wait_for_token_machine(function_arn: str, **timeouts: int) -> dict[str, Any]:
    return {
        "StartAt": "Pay",
        "States": {
            "Pay": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": function_arn,
                    "Payload": {"token.$": "$$.Task.Token", "order.$": "$.order"},
                },
                "ResultPath": "$.payment",
                **timeouts,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Failed"}],
                "End": True,
            },
            "Failed": {"Type": "Pass", "End": True},
        },
    }


def token_of(dispatch: RecordingDispatch, function_name: str, count: int = 1) -> str:
    deadline = time.monotonic() + 10
    while len(dispatch.events_for(function_name)) < count:
        assert time.monotonic() < deadline, "the task never invoked its function"
        time.sleep(0.01)
    return str(dispatch.events_for(function_name)[count - 1]["token"])


def test_wait_for_task_token_resumes_on_send_task_success(dispatch: RecordingDispatch) -> None:
    sfn = client("stepfunctions")
    machine = create_state_machine(
        "pay", wait_for_token_machine(create_function("pay"), TimeoutSeconds=10, HeartbeatSeconds=5)
    )
    execution_arn = start(machine, {"order": "o-1"})
    token = token_of(dispatch, "pay")
    # The handler's own result is ignored; the execution waits for the token
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
    assert dispatch.events_for("pay")[0]["order"] == "o-1"
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output=json.dumps({"paid": True}))
    assert output(finished(execution_arn)) == {"order": "o-1", "payment": {"paid": True}}
    assert "TaskSubmitted" in history_types(execution_arn)
    # A token can be used once
    with pytest.raises(ClientError) as used:
        sfn.send_task_success(taskToken=token, output="{}")
    assert used.value.response["Error"]["Code"] == "InvalidToken"


def test_wait_for_task_token_send_task_failure_loses_the_cause(dispatch: RecordingDispatch) -> None:
    sfn = client("stepfunctions")
    machine = create_state_machine("pay", wait_for_token_machine(create_function("pay"), TimeoutSeconds=10))
    execution_arn = start(machine, {"order": "o-1"})
    sfn.send_task_failure(taskToken=token_of(dispatch, "pay"), error="PaymentDeclined", cause="card expired")
    # AWS differs: Cause would be "card expired" (moto's SendTaskFailure handler drops the cause)
    assert output(finished(execution_arn))["failure"] == {"Error": "PaymentDeclined", "Cause": None}


def test_wait_for_task_token_can_be_answered_from_inside_the_handler(dispatch: RecordingDispatch) -> None:
    sfn = client("stepfunctions")

    def pay_at_once(event: Any) -> Any:
        sfn.send_task_success(taskToken=event["token"], output=json.dumps({"inline": True}))
        return {"accepted": True}

    dispatch.handlers["pay"] = pay_at_once
    machine = create_state_machine("pay", wait_for_token_machine(create_function("pay"), TimeoutSeconds=10))
    assert output(finished(start(machine, {"order": "o-1"})))["payment"] == {"inline": True}


@pytest.mark.parametrize("timeouts", [{"TimeoutSeconds": 1}, {"TimeoutSeconds": 10, "HeartbeatSeconds": 1}])
def test_wait_for_task_token_expires_into_states_timeout(
    dispatch: RecordingDispatch, timeouts: dict[str, int]
) -> None:
    machine = create_state_machine("pay", wait_for_token_machine(create_function("pay"), **timeouts))
    started = time.monotonic()
    described = finished(start(machine, {"order": "o-1"}))
    # Both the task timeout and the heartbeat timeout are States.Timeout after a real second
    # (AWS differs for the heartbeat: States.HeartbeatTimeout)
    assert 0.95 <= time.monotonic() - started < 2
    assert output(described)["failure"] == {"Error": "States.Timeout", "Cause": ""}
    assert "TaskTimedOut" in history_types(described["executionArn"])


def test_timeout_seconds_path_reads_the_wait_from_the_state_input(dispatch: RecordingDispatch) -> None:
    """The fulfilment saga waits for 3-D Secure as long as the payment step says is left."""
    definition = wait_for_token_machine(create_function("pay"))
    definition["States"]["Pay"]["TimeoutSecondsPath"] = "$.wait_seconds"
    machine = create_state_machine("pay", definition)
    started = time.monotonic()
    described = finished(start(machine, {"order": "o-1", "wait_seconds": 1}))
    assert 0.95 <= time.monotonic() - started < 2
    assert output(described)["failure"] == {"Error": "States.Timeout", "Cause": ""}


def test_a_timeout_catch_before_states_all_takes_the_timeout(dispatch: RecordingDispatch) -> None:
    definition = wait_for_token_machine(create_function("pay"), TimeoutSeconds=1)
    definition["States"]["Pay"]["Catch"] = [
        {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.failure", "Next": "Expired"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Failed"},
    ]
    definition["States"]["Expired"] = {
        "Type": "Pass",
        "Result": "expired",
        "ResultPath": "$.branch",
        "End": True,
    }
    assert output(run(definition, {"order": "o-1"}))["branch"] == "expired"


def test_states_heartbeat_timeout_is_never_matched(dispatch: RecordingDispatch) -> None:
    definition = wait_for_token_machine(create_function("pay"), TimeoutSeconds=10, HeartbeatSeconds=1)
    definition["States"]["Pay"]["Catch"][0]["ErrorEquals"] = ["States.HeartbeatTimeout"]
    described = run(definition, {"order": "o-1"})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Timeout"


# ----------------------------------------------------------------- localcloud: a SAM state machine, end to end


HANDLER = """
class BusinessFailure(Exception):
    pass


def handler(event, context):
    if event.get("refuse"):
        raise BusinessFailure(event["refuse"])
    return {"handled": event}
"""

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  CommerceBus:
    Type: AWS::Events::EventBus
    Properties:
      Name: tiny-bus
  CartsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  OrderStepsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/steps/
      Handler: app.handler
      Runtime: python3.12
  OrderFulfilmentStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: order-fulfilment
      Type: STANDARD
      DefinitionUri: statemachines/order_fulfilment.asl.json
      DefinitionSubstitutions:
        OrderStepsFunctionArn: !GetAtt OrderStepsFunction.Arn
        EventBusName: !Ref CommerceBus
        CartsTable: !Ref CartsTable
      Policies:
        - LambdaInvokePolicy: {FunctionName: !Ref OrderStepsFunction}
        - EventBridgePutEventsPolicy: {EventBusName: !Ref CommerceBus}
        - DynamoDBCrudPolicy: {TableName: !Ref CartsTable}
      Tracing: {Enabled: true}
  SlowStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Wait
        States:
          Wait: {Type: Wait, Seconds: 30, Next: Write}
          Write:
            Type: Task
            Resource: arn:aws:states:::dynamodb:putItem
            Parameters:
              TableName: ${CartsTable}
              Item: {pk: {S: LATE}}
            End: true
      DefinitionSubstitutions:
        CartsTable: !Ref CartsTable
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref CartsTable}
"""

DEFINITION = {
    "StartAt": "Steps",
    "States": {
        "Steps": {
            "Type": "Task",
            "Resource": LAMBDA_INVOKE,
            "Parameters": {"FunctionName": "${OrderStepsFunctionArn}", "Payload.$": "$"},
            "ResultSelector": {"result.$": "$.Payload"},
            "ResultPath": "$.steps",
            "Next": "Record",
        },
        "Record": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "${CartsTable}", "Item": {"pk": {"S.$": "$$.Execution.Name"}}},
            "ResultPath": None,
            "Next": "Publish",
        },
        "Publish": {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {
                "Entries": [
                    {
                        "EventBusName": "${EventBusName}",
                        "Source": "commerce.orders",
                        "DetailType": "OrderConfirmed",
                        "Detail.$": "$.steps.result",
                    }
                ]
            },
            "ResultPath": None,
            "End": True,
        },
    },
}


@pytest.fixture
def tiny_stack(tmp_path: Path) -> Path:
    (tmp_path / "functions" / "steps").mkdir(parents=True)
    (tmp_path / "functions" / "steps" / "app.py").write_text(textwrap.dedent(HANDLER), encoding="utf-8")
    (tmp_path / "statemachines").mkdir()
    (tmp_path / "statemachines" / "order_fulfilment.asl.json").write_text(
        json.dumps(DEFINITION), encoding="utf-8"
    )
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    return tmp_path / "template.yaml"


@pytest.fixture
def tiny_cloud(tiny_stack: Path) -> Iterator[LocalCloud]:
    environment = dict(os.environ)
    try:
        with LocalCloud(tiny_stack, stack="tiny") as cloud:
            yield cloud
    finally:
        os.environ.clear()
        os.environ.update(environment)


def test_template_inlines_a_local_definition_uri_before_translating(tiny_stack: Path) -> None:
    template = load_template(tiny_stack, REGION)
    # THEN the translator produced a Step Functions state machine with its definition and substitutions
    machine = template.resources["OrderFulfilmentStateMachine"]
    assert machine["Type"] == "AWS::StepFunctions::StateMachine"
    properties = machine["Properties"]
    separator, lines = properties["DefinitionString"]["Fn::Join"]
    assert json.loads(separator.join(lines)) == DEFINITION
    assert properties["DefinitionSubstitutions"]["OrderStepsFunctionArn"] == {
        "Fn::GetAtt": ["OrderStepsFunction", "Arn"]
    }
    assert properties["StateMachineName"] == "order-fulfilment"
    assert properties["RoleArn"] == {"Fn::GetAtt": ["OrderFulfilmentStateMachineRole", "Arn"]}
    assert template.resources["OrderFulfilmentStateMachineRole"]["Type"] == "AWS::IAM::Role"
    # AND the file it came from is remembered, while the SAM view keeps the DefinitionUri
    expected_file = tiny_stack.parent / "statemachines" / "order_fulfilment.asl.json"
    assert template.definition_files == {"OrderFulfilmentStateMachine": expected_file.resolve()}
    assert "DefinitionUri" in template.sam["Resources"]["OrderFulfilmentStateMachine"]["Properties"]


def test_definition_substitutions_refuse_a_placeholder_without_a_value() -> None:
    definition = '{"FunctionName": "${OrderStepsFunctionArn}", "Bus": "${EventBus}"}'
    assert apply_definition_substitutions(
        "M", definition, {"OrderStepsFunctionArn": "arn:x", "EventBus": "b"}
    ) == ('{"FunctionName": "arn:x", "Bus": "b"}')
    with pytest.raises(ValueError, match=r"M: DefinitionSubstitutions has no value for \['EventBus'\]"):
        apply_definition_substitutions("M", definition, {"OrderStepsFunctionArn": "arn:x"})


def test_localcloud_creates_the_state_machine_with_substitutions_resolved(tiny_cloud: LocalCloud) -> None:
    arn = tiny_cloud.state_machine_arn("OrderFulfilmentStateMachine")
    assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:order-fulfilment"
    assert tiny_cloud.resources.attributes[("OrderFulfilmentStateMachine", "Name")] == "order-fulfilment"
    described = tiny_cloud.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    definition = json.loads(described["definition"])
    states = definition["States"]
    function_arn = tiny_cloud.resources.attributes[("OrderStepsFunction", "Arn")]
    assert states["Steps"]["Parameters"]["FunctionName"] == function_arn
    assert states["Record"]["Parameters"]["TableName"] == tiny_cloud.ref("CartsTable")
    assert states["Publish"]["Parameters"]["Entries"][0]["EventBusName"] == "tiny-bus"
    assert described["roleArn"].endswith(":role/tiny-OrderFulfilmentStateMachineRole")
    assert described["type"] == "STANDARD"
    # A machine without a Name gets the stack's naming
    assert tiny_cloud.state_machine_arn("SlowStateMachine").endswith(":stateMachine:tiny-SlowStateMachine")


def test_localcloud_runs_the_state_machine_through_the_real_handler(tiny_cloud: LocalCloud) -> None:
    arn = tiny_cloud.state_machine_arn("OrderFulfilmentStateMachine")
    execution_arn = tiny_cloud.client("stepfunctions").start_execution(
        stateMachineArn=arn, name="order-o-1", input=json.dumps({"order_id": "o-1"})
    )["executionArn"]
    described = tiny_cloud.wait_for_execution(execution_arn, timeout=10)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["steps"] == {"result": {"handled": {"order_id": "o-1"}}}
    assert tiny_cloud.execution(execution_arn)["status"] == "SUCCEEDED"
    assert tiny_cloud.functions["OrderStepsFunction"].invocations == 1
    item = tiny_cloud.client("dynamodb").get_item(
        TableName=tiny_cloud.ref("CartsTable"), Key={"pk": {"S": "order-o-1"}}
    )
    assert "Item" in item
    history = tiny_cloud.execution_history(execution_arn)
    assert [e["type"] for e in history if e["type"].endswith("StateEntered")] == ["TaskStateEntered"] * 3
    assert history[-1]["type"] == "ExecutionSucceeded"


def test_wait_for_execution_times_out_on_a_running_execution(tiny_cloud: LocalCloud) -> None:
    tiny_cloud.EXECUTION_SETTLE_SECONDS = 0.2  # stop() stops the execution, after this long
    execution_arn = tiny_cloud.client("stepfunctions").start_execution(
        stateMachineArn=tiny_cloud.state_machine_arn("SlowStateMachine"), name="slow", input="{}"
    )["executionArn"]
    with pytest.raises(TimeoutError, match=r"still RUNNING after 0\.1s"):
        tiny_cloud.wait_for_execution(execution_arn, timeout=0.1)


def test_reset_stops_running_executions_and_forgets_them(tiny_cloud: LocalCloud) -> None:
    # GIVEN an execution sleeping in a 30 s Wait state, which would then write into the carts table
    tiny_cloud.EXECUTION_SETTLE_SECONDS = 0.2
    sfn = tiny_cloud.client("stepfunctions")
    arn = tiny_cloud.state_machine_arn("SlowStateMachine")
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="slow", input="{}")["executionArn"]
    # WHEN the cloud is reset
    started = time.monotonic()
    tiny_cloud.reset()
    # THEN reset waited its settle time, stopped the execution (the Wait wakes at once) and went on
    assert time.monotonic() - started < 1.5
    # AND the machine kept its ARN but has no executions left: the name can be used again
    assert tiny_cloud.state_machine_arn("SlowStateMachine") == arn
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []
    with pytest.raises(ClientError) as gone:
        sfn.describe_execution(executionArn=execution_arn)
    assert gone.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    again = sfn.start_execution(stateMachineArn=arn, name="slow", input="{}")["executionArn"]
    assert again == execution_arn
    assert tiny_cloud.execution(again)["status"] == "RUNNING"
    # AND nothing reached the recreated table
    assert tiny_cloud.client("dynamodb").scan(TableName=tiny_cloud.ref("CartsTable"))["Count"] == 0


def test_reset_lets_a_short_execution_finish_instead_of_stopping_it(tiny_cloud: LocalCloud) -> None:
    # GIVEN a finished-soon execution of a machine and an execution id the next test may reuse
    sfn = tiny_cloud.client("stepfunctions")
    arn = tiny_cloud.state_machine_arn("OrderFulfilmentStateMachine")
    calls_before = tiny_cloud.functions["OrderStepsFunction"].invocations
    sfn.start_execution(stateMachineArn=arn, name="order-o-2", input=json.dumps({"order_id": "o-2"}))
    # WHEN reset runs at once
    tiny_cloud.reset()
    # THEN the execution ran to its end first (its handler ran), and its name is free again
    assert tiny_cloud.functions["OrderStepsFunction"].invocations == calls_before + 1
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []
    assert tiny_cloud.client("dynamodb").scan(TableName=tiny_cloud.ref("CartsTable"))["Count"] == 0
