"""Canaries for localcloud.hooks: one test per moto internal it patches, read as a specification.

If moto is upgraded and one of these fails, the hook it names needs re-reading against moto's source.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.dynamodb.models.table import StreamShard
from moto.dynamodb.responses import DynamoHandler
from moto.events.models import Rule
from moto.sqs.models import Queue

from localcloud.hooks import MOTO_CONFIG, after_dynamodb_call, dynamodb_lock, install, uninstall

REGION = "us-east-1"
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


# ------------------------------------------------------------------------------------------------ fixtures


class RecordingDispatch:
    """Stands in for localcloud's dispatcher: records every call, answers per function."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.handlers: dict[str, Callable[[Any], Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, function_name: str, event: Any) -> Any:
        with self._lock:
            self.calls.append((function_name, event))
        handler = self.handlers.get(function_name)
        if handler is not None:
            return handler(event)
        return {"handledBy": function_name, "received": event}

    def events_for(self, function_name: str) -> list[Any]:
        with self._lock:
            return [event for name, event in self.calls if name == function_name]


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


def role_arn() -> str:
    iam = client("iam")
    try:
        return iam.get_role(RoleName="lambda-role")["Role"]["Arn"]
    except ClientError:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        return iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]


def create_function(name: str) -> str:
    """A real zip, so moto accepts it; its code never runs (the dispatcher does)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    raise AssertionError('not run')\n")
    response = client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn(),
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    return response["FunctionArn"]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout}s")


def finished_execution(execution_arn: str) -> dict[str, Any]:
    sfn = client("stepfunctions")

    def finished() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=execution_arn)
        return None if described["status"] == "RUNNING" else described

    return wait_for(finished)


def create_state_machine(name: str, definition: dict[str, Any]) -> str:
    return client("stepfunctions").create_state_machine(
        name=name,
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn-role",
    )["stateMachineArn"]


# -------------------------------------------------------------------------------- the pinned moto internals


def test_moto_is_the_pinned_version() -> None:
    assert moto.__version__ == "5.2.5"


BACKEND_INVOKE = ("self", "function_name", "qualifier", "body", "headers", "response_headers")


@pytest.mark.parametrize(
    ("owner", "name", "parameters"),
    [
        (LambdaFunction, "invoke", ("self", "body", "request_headers", "response_headers")),
        (LambdaFunction, "_invoke_lambda", ("self", "event")),
        (LambdaSimpleBackend, "invoke", BACKEND_INVOKE),
        (LambdaBackend, "invoke", BACKEND_INVOKE),
        (LambdaBackend, "send_dynamodb_items", ("self", "function_arn", "items", "source")),
        (Rule, "send_to_targets", ("self", "original_event", "transform_input")),
        (DynamoHandler, "call_action", ("self",)),
        # Not patched, but the hooks rely on their behaviour:
        (StreamShard, "add", ("self", "old", "new")),
        (Queue, "add_message", ("self", "message")),
        (LambdaResponse, "invoke", ("self",)),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else str(value),
)
def test_moto_internal_still_has_the_shape_the_hooks_patch(
    owner: type, name: str, parameters: tuple[str, ...]
) -> None:
    # GIVEN the unpatched moto (no fixture installs the hooks here)
    attribute = vars(owner).get(name)
    # THEN the internal is still defined on that very class, with the parameters the hooks were written for
    assert attribute is not None, f"{owner.__qualname__}.{name} moved"
    assert tuple(inspect.signature(attribute).parameters) == parameters


def test_moto_still_routes_through_the_internals_the_hooks_patch() -> None:
    # Stream records reach Lambda through send_dynamodb_items, SQS records through send_sqs_batch/invoke,
    # and no moto module calls the Docker runner except LambdaFunction.invoke.
    assert "send_dynamodb_items" in inspect.getsource(StreamShard.add)
    assert "send_sqs_batch" in inspect.getsource(Queue.add_message)
    assert "self.invoke(" in inspect.getsource(LambdaBackend._send_sqs_message)
    assert "_invoke_lambda(" in inspect.getsource(LambdaFunction.invoke)
    # moto has no delivery of its own for Lambda/Step Functions targets: it would raise.
    assert 'raise NotImplementedError(f"Expr not defined' in inspect.getsource(Rule.send_to_targets)


def test_install_is_idempotent_and_uninstall_restores_moto(dispatch: RecordingDispatch) -> None:
    # GIVEN the hooks installed by the fixture
    patched_invoke = vars(LambdaFunction)["invoke"]
    # WHEN installed again with another dispatcher
    second = RecordingDispatch()
    install(second)
    # THEN nothing is wrapped twice, and the newest dispatcher is the one used
    assert vars(LambdaFunction)["invoke"] is patched_invoke
    create_function("again")
    client("lambda").invoke(FunctionName="again", Payload=b"{}")
    assert second.events_for("again") == [{}]
    assert dispatch.calls == []
    # AND uninstall puts moto's own functions back
    uninstall()
    assert vars(LambdaFunction)["invoke"] is not patched_invoke
    assert vars(LambdaSimpleBackend)["invoke"] is not vars(LambdaBackend)["invoke"]
    install(dispatch)  # so the fixture's uninstall has something to undo


# ------------------------------------------------------------------------------------------------ Lambda


def test_lambda_invoke_runs_the_handler_through_the_dispatcher(dispatch: RecordingDispatch) -> None:
    # GIVEN a function
    create_function("greeter")
    dispatch.handlers["greeter"] = lambda event: {"greeting": f"hello {event['name']}"}
    # WHEN it is invoked with boto3
    response = client("lambda").invoke(FunctionName="greeter", Payload=json.dumps({"name": "ada"}))
    # THEN the dispatcher ran it with the decoded payload and its result is the response payload
    assert dispatch.events_for("greeter") == [{"name": "ada"}]
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"greeting": "hello ada"}


def test_lambda_invoke_without_payload_gives_the_handler_an_empty_event(dispatch: RecordingDispatch) -> None:
    create_function("noargs")
    client("lambda").invoke(FunctionName="noargs")
    assert dispatch.events_for("noargs") == [{}]


def test_a_raising_handler_is_an_unhandled_function_error(dispatch: RecordingDispatch) -> None:
    # GIVEN a handler that raises
    create_function("broken")

    def explode(event: Any) -> Any:
        raise ValueError("out of stock")

    dispatch.handlers["broken"] = explode
    # WHEN it is invoked
    response = client("lambda").invoke(FunctionName="broken", Payload=b"{}")
    # THEN the caller sees Lambda's error contract, not an exception
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorMessage"] == "out of stock"
    assert payload["errorType"] == "ValueError"
    assert any("explode" in frame for frame in payload["stackTrace"])


def test_an_unserialisable_result_is_a_marshal_error(dispatch: RecordingDispatch) -> None:
    create_function("sloppy")
    dispatch.handlers["sloppy"] = lambda event: {"skus": {"a", "b"}}
    response = client("lambda").invoke(FunctionName="sloppy", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Runtime.MarshalError"


def test_event_invocation_runs_the_handler_and_answers_202(dispatch: RecordingDispatch) -> None:
    create_function("fire-and-forget")
    response = client("lambda").invoke(
        FunctionName="fire-and-forget", InvocationType="Event", Payload=json.dumps({"n": 1})
    )
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    assert dispatch.events_for("fire-and-forget") == [{"n": 1}]


def test_dry_run_invocation_does_not_run_the_handler(dispatch: RecordingDispatch) -> None:
    create_function("dry")
    response = client("lambda").invoke(FunctionName="dry", InvocationType="DryRun", Payload=b"{}")
    assert response["StatusCode"] == 204
    assert dispatch.events_for("dry") == []


# ------------------------------------------------------------------------------------------------ Step Functions


@pytest.mark.parametrize("resource_style", ["function-arn", "lambda:invoke"])
def test_state_machine_lambda_task_really_executes(dispatch: RecordingDispatch, resource_style: str) -> None:
    # GIVEN a state machine whose only state is a Lambda task
    function_arn = create_function("price")
    dispatch.handlers["price"] = lambda event: {"total": event["quantity"] * 3}
    if resource_style == "function-arn":
        task: dict[str, Any] = {"Type": "Task", "Resource": function_arn, "End": True}
    else:
        task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "End": True,
        }
    machine = create_state_machine("pricing", {"StartAt": "Price", "States": {"Price": task}})
    # WHEN it is started
    execution = client("stepfunctions").start_execution(
        stateMachineArn=machine, input=json.dumps({"quantity": 4})
    )
    # THEN it succeeds with the dispatcher's result as output
    described = finished_execution(execution["executionArn"])
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"total": 12}
    assert dispatch.events_for("price") == [{"quantity": 4}]


def test_failing_lambda_task_with_catch_goes_to_the_catch_branch(dispatch: RecordingDispatch) -> None:
    # GIVEN a task whose handler raises, caught into a Pass state
    function_arn = create_function("reserve")

    def refuse(event: Any) -> Any:
        raise RuntimeError("no stock left")

    dispatch.handlers["reserve"] = refuse
    definition = {
        "StartAt": "Reserve",
        "States": {
            "Reserve": {
                "Type": "Task",
                "Resource": function_arn,
                "Catch": [{"ErrorEquals": ["RuntimeError"], "ResultPath": "$.error", "Next": "Compensate"}],
                "End": True,
            },
            "Compensate": {"Type": "Pass", "Result": "compensated", "ResultPath": "$.outcome", "End": True},
        },
    }
    machine = create_state_machine("reservation", definition)
    # WHEN it runs
    execution = client("stepfunctions").start_execution(
        stateMachineArn=machine, input=json.dumps({"sku": "A"})
    )
    # THEN the error type is the handler's exception class and the catch branch produced the output
    described = finished_execution(execution["executionArn"])
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["outcome"] == "compensated"
    assert output["error"]["Error"] == "RuntimeError"
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "no stock left"


# ------------------------------------------------------------------------------------------------ EventBridge


def put_rule(name: str, targets: list[dict[str, Any]], **rule: Any) -> None:
    events = client("events")
    events.put_rule(Name=name, **rule)
    events.put_targets(Rule=name, Targets=targets)


def put_order_placed(detail: dict[str, Any]) -> None:
    response = client("events").put_events(
        Entries=[{"Source": "commerce.orders", "DetailType": "OrderPlaced", "Detail": json.dumps(detail)}]
    )
    assert response["FailedEntryCount"] == 0


ORDER_PLACED_PATTERN = json.dumps({"source": ["commerce.orders"], "detail-type": ["OrderPlaced"]})


def test_eventbridge_pattern_rule_delivers_the_event_to_a_lambda_target(dispatch: RecordingDispatch) -> None:
    # GIVEN a rule matching OrderPlaced with a Lambda target and a rule for something else
    function_arn = create_function("on-order")
    put_rule("order-placed", [{"Id": "fn", "Arn": function_arn}], EventPattern=ORDER_PLACED_PATTERN)
    other_pattern = json.dumps({"source": ["commerce.payments"]})
    put_rule("payments", [{"Id": "fn", "Arn": function_arn}], EventPattern=other_pattern)
    # WHEN a matching event is put
    put_order_placed({"orderId": "o-1"})
    # THEN the function received it once, shaped like an EventBridge event
    [event] = dispatch.events_for("on-order")
    assert event["source"] == "commerce.orders"
    assert event["detail-type"] == "OrderPlaced"
    assert event["detail"] == {"orderId": "o-1"}
    assert event["account"] == "123456789012"
    assert event["region"] == REGION
    assert ISO_8601.match(event["time"]), event["time"]
    assert "ingestion-time" not in event


def test_eventbridge_event_time_is_iso_8601_of_the_given_time(dispatch: RecordingDispatch) -> None:
    put_rule("timed", [{"Id": "fn", "Arn": create_function("timed")}], EventPattern=ORDER_PLACED_PATTERN)
    client("events").put_events(
        Entries=[
            {
                "Source": "commerce.orders",
                "DetailType": "OrderPlaced",
                "Detail": "{}",
                "Time": datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
            }
        ]
    )
    [event] = dispatch.events_for("timed")
    assert event["time"] == "2026-12-01T05:00:00Z"


def test_a_failing_eventbridge_lambda_target_does_not_fail_put_events(dispatch: RecordingDispatch) -> None:
    # EventBridge invokes Lambda asynchronously: the producer never sees the handler's failure.
    put_rule("failing", [{"Id": "fn", "Arn": create_function("failing")}], EventPattern=ORDER_PLACED_PATTERN)

    def fail(event: Any) -> Any:
        raise RuntimeError("boom")

    dispatch.handlers["failing"] = fail
    put_order_placed({"orderId": "o-9"})
    assert len(dispatch.events_for("failing")) == 1


def test_eventbridge_input_transformer_shapes_the_lambda_event(dispatch: RecordingDispatch) -> None:
    function_arn = create_function("transformed")
    target = {
        "Id": "fn",
        "Arn": function_arn,
        "InputTransformer": {
            "InputPathsMap": {"order": "$.detail.orderId", "at": "$.time"},
            "InputTemplate": '{"order": "<order>", "at": "<at>"}',
        },
    }
    put_rule("transformed", [target], EventPattern=ORDER_PLACED_PATTERN)
    put_order_placed({"orderId": "o-7"})
    [event] = dispatch.events_for("transformed")
    assert event["order"] == "o-7"
    assert ISO_8601.match(event["at"]), event


def test_eventbridge_keeps_moto_delivery_for_other_targets(dispatch: RecordingDispatch) -> None:
    # GIVEN a rule with both an SQS target (moto delivers it) and a Lambda target (the hooks do)
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName="order-audit")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    function_arn = create_function("mixed")
    put_rule(
        "mixed",
        [{"Id": "q", "Arn": queue_arn}, {"Id": "fn", "Arn": function_arn}],
        EventPattern=ORDER_PLACED_PATTERN,
    )
    # WHEN an event is put
    put_order_placed({"orderId": "o-2"})
    # THEN both received it
    [message] = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert json.loads(message["Body"])["detail"] == {"orderId": "o-2"}
    assert [event["detail"] for event in dispatch.events_for("mixed")] == [{"orderId": "o-2"}]


def test_eventbridge_ignores_schedule_only_and_disabled_rules(dispatch: RecordingDispatch) -> None:
    # GIVEN a schedule-only rule (its empty pattern matches everything in moto) and a disabled rule
    function_arn = create_function("nightly")
    put_rule("nightly", [{"Id": "fn", "Arn": function_arn}], ScheduleExpression="cron(0 5 * * ? *)")
    put_rule("off", [{"Id": "fn", "Arn": function_arn}], EventPattern=ORDER_PLACED_PATTERN, State="DISABLED")
    # WHEN an event is put
    put_order_placed({"orderId": "o-3"})
    # THEN neither rule invoked the function
    assert dispatch.events_for("nightly") == []


def test_eventbridge_rule_with_step_functions_target_starts_an_execution(dispatch: RecordingDispatch) -> None:
    # GIVEN a rule targeting a state machine
    machine = create_state_machine(
        "fulfil", {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    )
    put_rule("fulfil", [{"Id": "sfn", "Arn": machine}], EventPattern=ORDER_PLACED_PATTERN)
    # WHEN a matching event is put
    put_order_placed({"orderId": "o-4"})
    # THEN an execution with a unique name ran with the event as input
    sfn = client("stepfunctions")
    [execution] = wait_for(lambda: sfn.list_executions(stateMachineArn=machine)["executions"])
    assert re.fullmatch(r"[0-9a-f]{32}", execution["name"])
    described = finished_execution(execution["executionArn"])
    assert described["status"] == "SUCCEEDED"
    execution_input = json.loads(described["input"])
    assert execution_input["detail"] == {"orderId": "o-4"}
    assert ISO_8601.match(execution_input["time"])


# ------------------------------------------------------------------------------------------------ DynamoDB


def create_table(name: str, **extra: Any) -> None:
    client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def test_conditional_decrements_are_serialised_by_the_dynamodb_lock(dispatch: RecordingDispatch) -> None:
    # GIVEN a stock of 20
    dynamodb = client("dynamodb")
    create_table("stock")
    dynamodb.put_item(TableName="stock", Item={"pk": {"S": "sku-1"}, "stock": {"N": "20"}})
    # botocore builds a client's exception classes lazily and not thread-safely: racing threads
    # can each build their own, and then ``except`` misses the class another thread raised.
    refused = dynamodb.exceptions.ConditionalCheckFailedException

    def decrement(_: int) -> bool:
        try:
            dynamodb.update_item(
                TableName="stock",
                Key={"pk": {"S": "sku-1"}},
                UpdateExpression="SET stock = stock - :one",
                ConditionExpression="stock >= :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        except refused:
            return False
        return True

    # WHEN 60 conditional decrements race on 16 threads (switching threads as often as CPython allows, so
    # that without the lock the check-then-set inside moto interleaves on every run)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            outcomes = list(pool.map(decrement, range(60)))
    finally:
        sys.setswitchinterval(switch_interval)
    # THEN exactly 20 won and the stock never went negative
    assert outcomes.count(True) == 20
    item = dynamodb.get_item(TableName="stock", Key={"pk": {"S": "sku-1"}}, ConsistentRead=True)["Item"]
    assert item["stock"] == {"N": "0"}


def test_dynamodb_stream_records_reach_the_dispatcher_after_the_lock_is_released(
    dispatch: RecordingDispatch,
) -> None:
    # GIVEN a table with a stream mapped to a function that itself writes to DynamoDB
    dynamodb = client("dynamodb")
    create_table(
        "orders", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    create_table("audit")
    stream_arn = dynamodb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    create_function("on-order-change")
    client("lambda").create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName="on-order-change", StartingPosition="LATEST"
    )
    observed: list[dict[str, bool]] = []

    def on_change(event: Any) -> Any:
        lock = dynamodb_lock()
        acquired_elsewhere: list[bool] = []

        def try_lock() -> None:
            acquired_elsewhere.append(lock.acquire(timeout=2))
            if acquired_elsewhere[-1]:
                lock.release()

        probe = threading.Thread(target=try_lock)
        probe.start()
        probe.join()
        observed.append({"owned_here": lock._is_owned(), "free_elsewhere": acquired_elsewhere[0]})
        for record in event["Records"]:
            dynamodb.put_item(TableName="audit", Item={"pk": {"S": record["eventID"]}})
        return {"ok": True}

    dispatch.handlers["on-order-change"] = on_change
    # WHEN an item is inserted and then modified
    dynamodb.put_item(TableName="orders", Item={"pk": {"S": "o-1"}, "status": {"S": "NEW"}})
    dynamodb.put_item(TableName="orders", Item={"pk": {"S": "o-1"}, "status": {"S": "PAID"}})
    # THEN the function got each record once, with both images, outside the DynamoDB lock
    events = dispatch.events_for("on-order-change")
    assert [record["eventName"] for event in events for record in event["Records"]] == ["INSERT", "MODIFY"]
    modify = events[1]["Records"][0]["dynamodb"]
    assert modify["OldImage"]["status"] == {"S": "NEW"}
    assert modify["NewImage"]["status"] == {"S": "PAID"}
    assert events[0]["Records"][0]["eventSourceARN"] == stream_arn
    assert observed == [{"owned_here": False, "free_elsewhere": True}] * 2
    # AND the handler's own DynamoDB writes went through (no deadlock)
    assert dynamodb.scan(TableName="audit")["Count"] == 2


def test_after_dynamodb_call_defers_until_the_call_has_released_the_lock(
    dispatch: RecordingDispatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a callback queued from inside a DynamoDB action (a stand-in for moto code run under the lock)
    seen: list[tuple[str, bool]] = []
    original_put_item = DynamoHandler.put_item

    def put_item(self: DynamoHandler) -> Any:
        after_dynamodb_call(lambda: seen.append(("deferred", dynamodb_lock()._is_owned())))
        seen.append(("action", dynamodb_lock()._is_owned()))
        return original_put_item(self)

    monkeypatch.setattr(DynamoHandler, "put_item", put_item)
    create_table("things")
    # WHEN the action runs
    client("dynamodb").put_item(TableName="things", Item={"pk": {"S": "a"}})
    # THEN the callback ran after the action, without the lock
    assert seen == [("action", True), ("deferred", False)]
    # AND outside any DynamoDB call a callback runs at once
    after_dynamodb_call(lambda: seen.append(("immediate", dynamodb_lock()._is_owned())))
    assert seen[-1] == ("immediate", False)


# ------------------------------------------------------------------------------------------------ SQS


def test_sqs_event_source_mapping_delivers_messages_to_the_dispatcher(dispatch: RecordingDispatch) -> None:
    # GIVEN a queue mapped to a function
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName="emails")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    create_function("send-email")
    client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="send-email")
    # WHEN a message is sent
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"to": "ada@example.com"}))
    # THEN the function received it as an SQS event and the message was deleted
    [event] = dispatch.events_for("send-email")
    [record] = event["Records"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn
    assert json.loads(record["body"]) == {"to": "ada@example.com"}
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url)


def test_sqs_message_stays_on_the_queue_when_the_handler_raises(dispatch: RecordingDispatch) -> None:
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName="flaky")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    create_function("flaky")

    def fail(event: Any) -> Any:
        raise ConnectionError("smtp down")

    dispatch.handlers["flaky"] = fail
    client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="flaky")
    sqs.send_message(QueueUrl=queue_url, MessageBody="retry me")
    assert len(dispatch.events_for("flaky")) == 1
    [message] = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert message["Body"] == "retry me"
