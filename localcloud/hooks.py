"""The only place where localcloud reaches into moto's internals.

Why these hooks exist
---------------------
* moto without Docker runs no Lambda code: ``LambdaFunction._invoke_lambda`` starts a container, and the
  ``lambda: {use_docker: False}`` backend (``LambdaSimpleBackend``) just echoes canned responses. We want
  the real Python handlers of the SAM template to run, in-process, from every place AWS would run them.
* moto's DynamoDB backend is not thread-safe: conditional writes are check-then-set in plain Python, so
  with concurrent callers a ``ConditionExpression`` does not protect anything (60 concurrent conditional
  decrements of a stock of 20 from 16 threads gave 26 successes and a final stock of -1).
* moto's EventBridge delivers to SQS, logs and buses but raises ``NotImplementedError`` for Lambda and
  Step Functions targets.

Everything here is pinned to moto 5.2.5; ``tests/integration/test_moto_hooks.py`` holds one canary per
patched internal.

Which trigger paths reach the dispatcher
----------------------------------------
Every moto code path that runs a function calls ``LambdaFunction.invoke`` (none calls ``_invoke_lambda``
directly in 5.2.5, which is patched anyway as a safety net), usually through ``LambdaBackend.invoke``:

* boto3 ``lambda.invoke`` (RequestResponse, Event, DryRun) and the legacy ``InvokeAsync`` API;
* SQS event source mappings: moto's own delivery (``Queue.add_message`` -> ``send_sqs_batch``) invokes once
  per message, ignores ``ReportBatchItemFailures`` and, when one message fails, makes every message it
  received visible again. ``Queue.add_message`` is wrapped so the hooks poll instead, as Lambda does (see
  ``poll_queue``): up to ``BatchSize`` visible messages in ONE invocation, the whole batch retried when the
  handler raises, and only the ``batchItemFailures`` it reports retried when the mapping has
  ``FunctionResponseTypes: [ReportBatchItemFailures]``. moto's redrive is kept: a receive moves a message
  received ``maxReceiveCount`` times to the dead-letter queue. Nothing polls on a timer: a message is
  (re)delivered when any message arrives on its queue or when ``poll_queue`` is called, and a failed one is
  visible again at once rather than after the queue's VisibilityTimeout (local time runs fast);
* DynamoDB stream event source mappings (``StreamShard.add`` -> ``send_dynamodb_items``), deferred until the
  DynamoDB call that produced the records has released the DynamoDB lock;
* Kinesis event source mappings, SNS ``lambda`` subscriptions, CloudWatch Logs subscription filters,
  S3 bucket notifications, Secrets Manager rotation;
* Step Functions Task states, both the plain function ARN resource and ``arn:aws:states:::lambda:invoke``
  (with ``execute_state_machine`` the parser backend runs executions in a worker thread and calls
  ``lambda.invoke`` through boto3, which moto intercepts in-process; nothing in the parser needs a patch);
* EventBridge rules with an EventPattern and a Lambda target (``Rule.send_to_targets`` wrapper below),
  also for replays and for S3 -> EventBridge notifications; Step Functions targets get ``StartExecution``.

What does not reach it: EventBridge rules with only a ScheduleExpression (moto never fires them;
localcloud has its own timer), DISABLED rules (moto would deliver to them; we skip them like AWS does),
API Gateway (moto's API Gateway does not invoke Lambda integrations), functions with PackageType=Image.
"""

from __future__ import annotations

import base64
import collections
import copy
import inspect
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from jsonpath_ng.ext.parser import parse as jsonpath_parse
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.utils import get_backend as get_lambda_backend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.exceptions import JsonRESTError, ServiceException
from moto.dynamodb.responses import DynamoHandler
from moto.events.models import Rule
from moto.events.utils import EventMessageType, EventTemplateParser
from moto.sqs.models import Queue, sqs_backends
from moto.stepfunctions.responses import get_backend as get_stepfunctions_backend
from moto.utilities.arns import parse_arn

__all__ = [
    "MOTO_CONFIG",
    "LambdaDispatcher",
    "after_dynamodb_call",
    "dynamodb_lock",
    "install",
    "poll_queue",
    "uninstall",
]

LOG = logging.getLogger(__name__)

MOTO_CONFIG: dict[str, Any] = {
    # The Step Functions parser backend really executes state machines (in a worker thread).
    "stepfunctions": {"execute_state_machine": True},
    # Never look for Docker; the simple backend is pointed back at the patched invoke below.
    "lambda": {"use_docker": False},
}


class LambdaDispatcher(Protocol):
    def __call__(self, function_name: str, event: Any) -> Any:
        """Run the real handler in-process and return its JSON-serialisable result; raise what it raises."""
        ...


_BACKEND_INVOKE_PARAMETERS = ("self", "function_name", "qualifier", "body", "headers", "response_headers")

# What each patched internal must look like; install() refuses to patch anything else.
_EXPECTED_PARAMETERS: dict[tuple[type, str], tuple[str, ...]] = {
    (LambdaFunction, "invoke"): ("self", "body", "request_headers", "response_headers"),
    (LambdaFunction, "_invoke_lambda"): ("self", "event"),
    (LambdaSimpleBackend, "invoke"): _BACKEND_INVOKE_PARAMETERS,
    (LambdaBackend, "invoke"): _BACKEND_INVOKE_PARAMETERS,
    (LambdaBackend, "send_dynamodb_items"): ("self", "function_arn", "items", "source"),
    (Rule, "send_to_targets"): ("self", "original_event", "transform_input"),
    (DynamoHandler, "call_action"): ("self",),
    (Queue, "add_message"): ("self", "message"),
}

_install_lock = threading.Lock()
_dispatch: LambdaDispatcher | None = None
_originals: dict[tuple[type, str], Any] = {}

# One lock for all of moto's DynamoDB. Re-entrant, so a thread that already holds it (localcloud grouping
# several calls, a nested call) cannot deadlock itself.
_DYNAMODB_LOCK = threading.RLock()


class _DynamoCallState(threading.local):
    """Per-thread nesting depth of DynamoDB calls and the work waiting for the outermost one to end."""

    def __init__(self) -> None:
        self.depth = 0
        self.draining = False
        self.pending: collections.deque[Callable[[], None]] = collections.deque()


_dynamo_state = _DynamoCallState()


# --------------------------------------------------------------------------------------------- public API


def install(dispatch: LambdaDispatcher) -> None:
    """Patch moto so Lambda code runs through ``dispatch``; calling it again only swaps the dispatcher."""
    global _dispatch
    with _install_lock:
        if _originals:
            _dispatch = dispatch
            return
        _check_moto_internals()
        _dispatch = dispatch
        replacements: dict[tuple[type, str], Any] = {
            (LambdaFunction, "invoke"): _function_invoke,
            (LambdaFunction, "_invoke_lambda"): _function_invoke_lambda,
            (LambdaSimpleBackend, "invoke"): vars(LambdaBackend)["invoke"],
            (LambdaBackend, "send_dynamodb_items"): _send_dynamodb_items,
            (Rule, "send_to_targets"): _send_to_targets,
            (DynamoHandler, "call_action"): _locked_call_action,
            (Queue, "add_message"): _add_message,
        }
        for (owner, name), replacement in replacements.items():
            _originals[(owner, name)] = vars(owner)[name]
            setattr(owner, name, replacement)


def uninstall() -> None:
    """Put moto back as it was, so tests can prove each patch is what makes the difference."""
    global _dispatch
    with _install_lock:
        for (owner, name), original in _originals.items():
            setattr(owner, name, original)
        _originals.clear()
        _dispatch = None


def dynamodb_lock() -> threading.RLock:
    """The lock every moto DynamoDB call runs under (exposed so callers can assert who holds it)."""
    return _DYNAMODB_LOCK


def after_dynamodb_call(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current thread's outermost DynamoDB call has released the lock.

    Outside a DynamoDB call it runs immediately. Work that may itself wait for DynamoDB (Lambda handlers,
    anything taking other locks) must never run while the DynamoDB lock is held.
    """
    if _dynamo_state.depth > 0:
        _dynamo_state.pending.append(callback)
    else:
        callback()


def poll_queue(queue_arn: str) -> int:
    """Lambda's poller, once: deliver the queue's visible messages to each of its enabled event source
    mappings (one batch each) and return how many records were handed to functions.

    Tests call it to make Lambda come back for messages whose delivery failed; each call is one receive,
    so a message that keeps failing reaches the dead-letter queue on the call after ``maxReceiveCount``.
    """
    arn = parse_arn(queue_arn)
    backend = sqs_backends[arn.account][arn.region]
    queue = next((q for q in backend.queues.values() if q.queue_arn == queue_arn), None)
    if queue is None:
        raise ValueError(f"no queue {queue_arn}")
    return _poll_mappings(queue)


# ------------------------------------------------------------------------------------------------ helpers


def _check_moto_internals() -> None:
    """Fail at start-up, not mid-request, if moto moved or reshaped anything we patch."""
    problems = []
    for (owner, name), expected in _EXPECTED_PARAMETERS.items():
        attr = vars(owner).get(name)
        if attr is None:
            problems.append(f"{owner.__module__}.{owner.__qualname__}.{name} is missing")
            continue
        actual = tuple(inspect.signature(attr).parameters)
        if actual != expected:
            problems.append(f"{owner.__qualname__}.{name}{actual} != {expected}")
    if problems:
        raise RuntimeError("moto internals changed, localcloud.hooks needs updating: " + "; ".join(problems))


def _original(owner: type, name: str) -> Any:
    return _originals[(owner, name)]


def _current_dispatch() -> LambdaDispatcher:
    if _dispatch is None:
        raise RuntimeError("localcloud.hooks.install() has not been called")
    return _dispatch


def _header(headers: Any, name: str, default: str) -> str:
    """moto passes werkzeug headers from the HTTP layer but plain lower-case dicts internally."""
    value = headers.get(name) or headers.get(name.lower())
    if value is None:
        value = next((v for k, v in dict(headers).items() if k.lower() == name.lower()), None)
    return str(value) if value is not None else default


def _error_body(exc: BaseException) -> dict[str, Any]:
    """The payload real Lambda returns for an unhandled exception in a Python handler."""
    tb = exc.__traceback__
    # Drop our own frame; what is left is the dispatcher and the handler.
    frames = traceback.extract_tb(tb.tb_next if tb is not None and tb.tb_next is not None else tb)
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_list(frames),
    }


def _run_handler(function_name: str, event: Any) -> tuple[bytes, bool]:
    """Run the handler under the Lambda error contract: (payload, errored) and never an exception."""
    try:
        result = _current_dispatch()(function_name, event)
    except Exception as exc:  # noqa: BLE001 - a handler failure becomes Lambda's error payload, like AWS
        return json.dumps(_error_body(exc)).encode("utf-8"), True
    try:
        return json.dumps(result).encode("utf-8"), False
    except (TypeError, ValueError) as exc:
        body = {"errorMessage": f"Unable to marshal response: {exc}", "errorType": "Runtime.MarshalError"}
        return json.dumps(body).encode("utf-8"), True


def _invoke_async(function_name: str, event: Any) -> None:
    """AWS runs async invocations out of band: a failing handler never fails whoever triggered it."""
    payload, errored = _run_handler(function_name, event)
    if errored:
        LOG.error("async invocation of %s failed: %s", function_name, payload.decode("utf-8"))


# ------------------------------------------------------------------------------------------------ Lambda


def _function_invoke(
    self: LambdaFunction, body: str | bytes, request_headers: Any, response_headers: Any
) -> bytes:
    """Replaces LambdaFunction.invoke: every moto path that runs a function ends up here."""
    event = json.loads(body) if body else {}
    invocation_type = _header(request_headers, "X-Amz-Invocation-Type", "RequestResponse")
    if invocation_type == "DryRun":
        # LambdaResponse.invoke turns a DryRun into a 204 by itself; the handler must not run.
        return b""
    if invocation_type == "Event":
        # LambdaResponse.invoke answers 202 for Event as long as the payload is not None.
        _invoke_async(self.function_name, event)
        return b""
    payload, errored = _run_handler(self.function_name, event)
    if errored:
        response_headers["x-amz-function-error"] = "Unhandled"
    # Kept only when the caller asked for LogType=Tail; we capture no logs.
    response_headers["x-amz-log-result"] = base64.b64encode(b"").decode("ascii")
    return payload


def _function_invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    """Replaces the Docker runner, for any moto path that skips ``invoke``: (result, errored, logs)."""
    if event is None or event == "{}":  # moto's own "no payload" marker
        event = {}
    payload, errored = _run_handler(self.function_name, event)
    return payload.decode("utf-8"), errored, ""


# ------------------------------------------------------------------------------------------------ DynamoDB


def _locked_call_action(self: DynamoHandler) -> Any:
    """Serialise moto's DynamoDB; deferred work runs once the outermost call has released the lock."""
    state = _dynamo_state
    _DYNAMODB_LOCK.acquire()
    state.depth += 1
    try:
        return _original(DynamoHandler, "call_action")(self)
    finally:
        state.depth -= 1
        _DYNAMODB_LOCK.release()
        if state.depth == 0:
            # A failing deferred callback surfaces here, as it would have inside moto without the deferral.
            _drain(state)


def _drain(state: _DynamoCallState) -> None:
    """Run deferred work in FIFO order; work it triggers is appended and run by the same loop."""
    if state.draining:
        return
    state.draining = True
    errors: list[Exception] = []
    try:
        while state.pending:
            callback = state.pending.popleft()
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - collected so the queue still empties, re-raised below
                errors.append(exc)
    finally:
        state.draining = False
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ExceptionGroup("deferred DynamoDB callbacks failed", errors)


def _send_dynamodb_items(self: LambdaBackend, function_arn: str, items: list[Any], source: str) -> Any:
    """StreamShard.add runs while the DynamoDB lock is held: invoke the stream's function after release."""
    original = _original(LambdaBackend, "send_dynamodb_items")
    if _dynamo_state.depth == 0:
        return original(self, function_arn, items, source)
    snapshot = list(items)
    _dynamo_state.pending.append(lambda: original(self, function_arn, snapshot, source))
    # Truthy, so StreamShard.add forgets the records it has just handed over (as after a real delivery).
    return b"{}"


# ------------------------------------------------------------------------------------------------ SQS


class _QueueWithoutMappings:
    """A queue as moto's ``add_message`` sees it: the same queue without its event source mappings (the
    hooks poll for them). Not a copy: the message must land in the real queue's list, under its lock."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        self.lambda_event_source_mappings: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)


def _add_message(self: Queue, message: Any) -> None:
    """Store the message as moto does (FIFO deduplication included), then poll like Lambda would."""
    _original(Queue, "add_message")(_QueueWithoutMappings(self), message)
    if not self.lambda_event_source_mappings:
        return

    def poll() -> None:
        _poll_mappings(self)

    after_dynamodb_call(poll)


def _poll_mappings(queue: Queue) -> int:
    delivered = 0
    for mapping in list(queue.lambda_event_source_mappings.values()):
        if mapping.enabled:
            delivered += _deliver_sqs_batch(queue, mapping)
    return delivered


def _sqs_record(queue: Queue, message: Any) -> dict[str, Any]:
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if queue.fifo_queue:
        attributes.update(
            MessageGroupId=str(message.group_id),
            MessageDeduplicationId=str(message.deduplication_id),
            SequenceNumber=str(message.sequence_number),
        )
    message_attributes = {
        name: {
            "dataType": value.get("DataType"),
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
        }
        for name, value in (message.message_attributes or {}).items()
    }
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": queue.region,
    }


def _failed_ids(payload: str | bytes, errored: bool, mapping: Any, received: set[str]) -> set[str]:
    """Which messages Lambda would leave on the queue, by the rules of partial batch responses."""
    if errored:
        return received
    if "ReportBatchItemFailures" not in (mapping.function_response_types or []):
        return set()
    try:
        response = json.loads(payload or b"null")
    except ValueError:
        return received
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return set()
    reported = {str(f.get("itemIdentifier") or "") if isinstance(f, dict) else "" for f in failures}
    # An empty or unknown identifier fails the whole batch, as in AWS.
    return reported if reported <= received else received


def _deliver_sqs_batch(queue: Queue, mapping: Any) -> int:
    backend = sqs_backends[queue.account_id][queue.region]
    visibility_timeout = int(queue.visibility_timeout)  # type: ignore[attr-defined]
    messages = backend.receive_message(queue.name, int(mapping.batch_size or 10), 0, visibility_timeout)
    if not messages:
        return 0
    event = {"Records": [_sqs_record(queue, message) for message in messages]}
    response_headers: dict[str, Any] = {}
    payload = get_lambda_backend(queue.account_id, queue.region).invoke(
        function_name=mapping.function_arn,
        qualifier=None,
        body=json.dumps(event),
        headers={},
        response_headers=response_headers,
    )
    errored = "x-amz-function-error" in response_headers
    failed = _failed_ids(payload or b"", errored, mapping, {message.id for message in messages})
    for message in messages:
        receipt = str(message.receipt_handle)
        if message.id in failed:
            backend.change_message_visibility(queue.name, receipt, visibility_timeout=0)
        else:
            backend.delete_message(queue.name, receipt)
    return len(messages)


# ------------------------------------------------------------------------------------------------ EventBridge


class _RuleTargetsView:
    """A rule as moto's own delivery sees it: the same rule minus the targets delivered here.

    Not a copy.copy(): moto models register every new instance in moto's instance tracker.
    """

    def __init__(self, rule: Rule, targets: list[dict[str, Any]]) -> None:
        self._rule = rule
        self.targets = targets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


def _is_ours(target: dict[str, Any]) -> bool:
    """moto raises NotImplementedError for Lambda and Step Functions targets, so it must never see them."""
    return parse_arn(target["Arn"]).service in ("lambda", "states")


def _send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
    """moto's delivery for SQS, logs, buses...; Lambda through the dispatcher; Step Functions executions."""
    if self.state == "DISABLED":
        return  # moto's put_events does not look at the state; AWS does
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return  # an empty pattern matches every event in moto; schedules are localcloud's timer's job
    ours = [target for target in self.targets if _is_ours(target)]
    theirs = [target for target in self.targets if not _is_ours(target)]
    try:
        if theirs:
            view = _RuleTargetsView(self, theirs)
            _original(Rule, "send_to_targets")(view, copy.deepcopy(original_event), transform_input)
    finally:
        # Even when moto raises NotImplementedError for a target kind it lacks (SNS, Kinesis...).
        if ours and self.event_pattern.matches_event(original_event):
            _deliver_to_our_targets(ours, original_event)


def _deliver_to_our_targets(targets: list[dict[str, Any]], original_event: Any) -> None:
    for target in targets:
        event = _target_input(target, original_event)
        arn = parse_arn(target["Arn"])
        if arn.service == "lambda":
            _deliver_to_lambda(target["Arn"], event)
        else:
            _start_execution(target["Arn"], event)


def _iso_time(value: Any) -> Any:
    """moto keeps `time` as epoch seconds; EventBridge delivers ISO 8601 (2026-12-01T05:00:00Z)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        try:
            moment = datetime.fromtimestamp(float(value), tz=UTC)
        except (TypeError, ValueError):
            return value  # already a string such as an ISO timestamp
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _target_input(target: dict[str, Any], original_event: Any) -> Any:
    """What the target receives: Input, InputPath, InputTransformer (moto's parser) or the whole event."""
    event = copy.deepcopy(dict(original_event))
    if "time" in event:
        event["time"] = _iso_time(event["time"])
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath"):
        matches = jsonpath_parse(target["InputPath"]).find(event)
        return matches[0].value if matches else None
    transformer = target.get("InputTransformer") or {}
    if transformer.get("InputTemplate"):
        event.setdefault("ingestion-time", 0)
        return EventTemplateParser.parse(
            input_template=transformer["InputTemplate"],
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=cast(EventMessageType, event),
        )
    event.pop("ingestion-time", None)  # moto bookkeeping, not part of an EventBridge event
    return event


def _deliver_to_lambda(function_arn: str, event: Any) -> None:
    arn = parse_arn(function_arn)
    try:
        function = get_lambda_backend(arn.account, arn.region).get_function(function_arn)
    except JsonRESTError:
        LOG.warning("EventBridge target %s does not exist; event dropped", function_arn)
        return
    # EventBridge invokes Lambda asynchronously: a failing handler does not fail PutEvents.
    _invoke_async(function.function_name, event)


def _start_execution(state_machine_arn: str, event: Any) -> None:
    arn = parse_arn(state_machine_arn)
    backend = get_stepfunctions_backend(arn.account, arn.region)
    try:
        # An explicit unique name: moto's own S3 -> EventBridge helper passes "", which the parser backend
        # accepts once and then refuses with ExecutionAlreadyExists.
        backend.start_execution(
            state_machine_arn=state_machine_arn,
            name=uuid.uuid4().hex,
            execution_input=json.dumps(event),
        )
    except (JsonRESTError, ServiceException) as exc:
        LOG.warning("EventBridge could not start %s: %s", state_machine_arn, exc)
