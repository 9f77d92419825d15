"""Canaries for what notifications read or patch in moto: SES's and SNS's sent messages (localcloud.outbox)
and SQS event source mappings (localcloud.hooks polls them itself: batches, partial batch responses, the
dead-letter queue after maxReceiveCount). One test per internal, read as a specification.

If moto is upgraded and one of these fails, the module it names needs re-reading against moto's source.
"""

from __future__ import annotations

import inspect
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import EventSourceMapping
from moto.ses.models import Message as SesMessage
from moto.ses.models import SESBackend, ses_backends
from moto.sns.models import SNSBackend, sns_backends
from moto.sqs.models import Message as SqsMessage
from moto.sqs.models import Queue, SQSBackend

from localcloud import outbox
from localcloud.hooks import MOTO_CONFIG, install, poll_queue, uninstall
from localcloud.provision import ACCOUNT_ID

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws(config=MOTO_CONFIG):
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


# ------------------------------------------------------------------------------------------------ SES and SNS


def test_moto_ses_keeps_sent_emails_as_messages_with_one_body() -> None:
    assert "sent_messages" in inspect.getsource(SESBackend.__init__)
    assert tuple(inspect.signature(SesMessage.__init__).parameters) == (
        "self",
        "message_id",
        "source",
        "subject",
        "body",
        "destinations",
    )


def test_moto_sns_keeps_texts_by_message_id_as_phone_and_text() -> None:
    source = inspect.getsource(SNSBackend.publish)
    assert "self.sms_messages[message_id] = (phone_number, message)" in source


def test_the_outbox_reads_what_ses_and_sns_sent(aws: None) -> None:
    # GIVEN a verified sender
    ses, sns = client("ses"), client("sns")
    ses.verify_email_identity(EmailAddress="orders@commerce.example")
    outbox.clear()
    # WHEN an email with a text and an HTML part and a text message are sent
    sent = ses.send_email(
        Source="orders@commerce.example",
        Destination={"ToAddresses": ["ada@example.com"], "BccAddresses": ["audit@example.com"]},
        Message={
            "Subject": {"Data": "Order confirmed"},
            "Body": {"Text": {"Data": "plain"}, "Html": {"Data": "<p>html</p>"}},
        },
    )
    published = sns.publish(PhoneNumber="+14155550100", Message="Order confirmed")
    # THEN the outbox shows them as moto stored them: one body per email, the HTML one when there is one
    backend = ses_backends[ACCOUNT_ID][REGION]
    assert [type(m) for m in backend.sent_messages] == [SesMessage]
    assert outbox.emails() == [
        outbox.SentEmail(
            message_id=sent["MessageId"],
            sender="orders@commerce.example",
            to=("ada@example.com",),
            subject="Order confirmed",
            body="<p>html</p>",
            bcc=("audit@example.com",),
        )
    ]
    assert outbox.emails("audit@example.com") == outbox.emails()
    assert outbox.texts() == [outbox.SentText(published["MessageId"], "+14155550100", "Order confirmed")]
    assert list(sns_backends[ACCOUNT_ID][REGION].sms_messages) == [published["MessageId"]]
    # AND clear() forgets them
    outbox.clear()
    assert outbox.emails() == []
    assert outbox.texts() == []


def test_moto_ses_refuses_a_sender_that_is_not_verified(aws: None) -> None:
    with pytest.raises(client("ses").exceptions.MessageRejected):
        client("ses").send_email(
            Source="nobody@commerce.example",
            Destination={"ToAddresses": ["ada@example.com"]},
            Message={"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}},
        )


# ------------------------------------------------------------------------------------------------ SQS


def test_moto_sqs_internals_the_hooks_poll_with_have_their_shape() -> None:
    assert tuple(inspect.signature(vars(SQSBackend)["receive_message"]).parameters) == (
        "self",
        "queue_name",
        "count",
        "wait_seconds_timeout",
        "visibility_timeout",
        "message_attribute_names",
    )
    assert tuple(inspect.signature(vars(SQSBackend)["change_message_visibility"]).parameters) == (
        "self",
        "queue_name",
        "receipt_handle",
        "visibility_timeout",
    )
    assert tuple(inspect.signature(vars(SQSBackend)["delete_message"]).parameters) == (
        "self",
        "queue_name",
        "receipt_handle",
    )
    # Redrive happens on receive: a message received maxReceiveCount times goes to the dead-letter queue.
    receive = inspect.getsource(SQSBackend.receive_message)
    assert (
        'message.approximate_receive_count\n                    >= queue.redrive_policy["maxReceiveCount"]'
        in receive
    )
    assert "queue.dead_letter_queue.add_message(message)" in receive
    # What each record is made of, and what the mapping remembers of the template.
    message = SqsMessage("m-1", "body")
    for attribute in ("approximate_receive_count", "sent_timestamp", "sender_id", "message_attributes"):
        assert hasattr(message, attribute)
    assert 'self.function_response_types = spec.get("FunctionResponseTypes")' in inspect.getsource(
        EventSourceMapping.__init__
    )
    assert "self.lambda_event_source_mappings" in inspect.getsource(Queue.__init__)


class Function:
    """A function behind an event source mapping; ``answer`` decides what each batch returns."""

    def __init__(self, answer: Callable[[list[dict[str, Any]]], Any]) -> None:
        self.answer = answer
        self.batches: list[list[str]] = []

    def __call__(self, function_name: str, event: Any) -> Any:
        records = event["Records"]
        self.batches.append([record["body"] for record in records])
        return self.answer(records)


def mapped_queue(
    function: Function, *, report_failures: bool = True, max_receives: int = 5
) -> tuple[str, str, str]:
    """A queue with a dead-letter queue, mapped (batches of 10) to a function; (url, arn, dlq url)."""
    install(function)
    sqs = client("sqs")
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})
    url = sqs.create_queue(
        QueueName="work", Attributes={"VisibilityTimeout": "180", "RedrivePolicy": policy}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    raise AssertionError('not run')\n")
    client("lambda").create_function(
        FunctionName="consumer",
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
    )
    extra = {"FunctionResponseTypes": ["ReportBatchItemFailures"]} if report_failures else {}
    client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="consumer", BatchSize=10, Enabled=False, **extra
    )
    return url, arn, dlq


def enable(arn: str) -> None:
    [mapping] = client("lambda").list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)


def bodies(url: str) -> list[str]:
    messages = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(message["Body"] for message in messages)


def failing(*bad: str) -> Callable[[list[dict[str, Any]]], Any]:
    return lambda records: {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] in bad]
    }


@pytest.fixture
def hooks(aws: None) -> Iterator[None]:
    yield
    uninstall()


def test_visible_messages_reach_the_function_as_one_batch(hooks: None) -> None:
    function = Function(failing())
    url, arn, _ = mapped_queue(function)
    for body in ("a", "b", "c"):
        client("sqs").send_message(QueueUrl=url, MessageBody=body)
    assert function.batches == []  # the mapping is disabled: messages wait
    enable(arn)
    assert poll_queue(arn) == 3
    assert [sorted(batch) for batch in function.batches] == [["a", "b", "c"]]
    assert bodies(url) == []
    assert poll_queue(arn) == 0


def test_a_new_message_is_delivered_at_once(hooks: None) -> None:
    function = Function(failing())
    url, arn, _ = mapped_queue(function)
    enable(arn)
    client("sqs").send_message(QueueUrl=url, MessageBody="now")
    assert function.batches == [["now"]]


def test_only_the_reported_failures_stay_on_the_queue(hooks: None) -> None:
    function = Function(failing("bad"))
    url, arn, _ = mapped_queue(function)
    for body in ("good", "bad"):
        client("sqs").send_message(QueueUrl=url, MessageBody=body)
    enable(arn)
    poll_queue(arn)
    assert bodies(url) == ["bad"]


def test_a_failure_the_mapping_does_not_report_is_ignored_as_lambda_does(hooks: None) -> None:
    function = Function(failing("bad"))
    url, arn, _ = mapped_queue(function, report_failures=False)
    client("sqs").send_message(QueueUrl=url, MessageBody="bad")
    enable(arn)
    poll_queue(arn)
    assert bodies(url) == []


def raising(records: list[dict[str, Any]]) -> Any:
    raise ConnectionError("provider down")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(raising, id="handler-raises"),
        pytest.param(
            lambda records: {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, id="unknown-id"
        ),
        pytest.param(lambda records: {"batchItemFailures": [{"itemIdentifier": ""}]}, id="empty-id"),
    ],
)
def test_the_whole_batch_is_retried_when_the_function_fails_or_answers_nonsense(
    hooks: None, answer: Callable[[list[dict[str, Any]]], Any]
) -> None:
    function = Function(answer)
    url, arn, _ = mapped_queue(function)
    for body in ("a", "b"):
        client("sqs").send_message(QueueUrl=url, MessageBody=body)
    enable(arn)
    poll_queue(arn)
    assert bodies(url) == ["a", "b"]


def test_a_message_that_always_fails_reaches_the_dead_letter_queue_after_max_receives(hooks: None) -> None:
    function = Function(failing("poison"))
    url, arn, dlq = mapped_queue(function, max_receives=5)
    enable(arn)
    client("sqs").send_message(QueueUrl=url, MessageBody="poison")  # receive 1
    for _ in range(4):  # receives 2 to 5
        assert poll_queue(arn) == 1
    assert function.batches == [["poison"]] * 5
    # THEN the next poll moves it to the dead-letter queue instead of delivering it
    assert poll_queue(arn) == 0
    assert bodies(dlq) == ["poison"]
    assert bodies(url) == []


def test_each_record_carries_its_receive_count(hooks: None) -> None:
    counts: list[str] = []

    def answer(records: list[dict[str, Any]]) -> Any:
        counts.extend(record["attributes"]["ApproximateReceiveCount"] for record in records)
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]}

    url, arn, _ = mapped_queue(Function(answer))
    enable(arn)
    client("sqs").send_message(QueueUrl=url, MessageBody="x")
    poll_queue(arn)
    assert counts == ["1", "2"]


def test_polling_an_unknown_queue_is_an_error(hooks: None) -> None:
    install(Function(failing()))
    with pytest.raises(ValueError, match="no queue"):
        poll_queue(f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:missing")
