"""What the local cloud "sent": the emails moto's SES accepted and the texts moto's SNS published.

Nothing leaves the machine locally; moto keeps every message in its backends, and this module reads them
(for tests, and for the admin CLI's ``outbox``). Each reader returns plain dataclasses, oldest first.

moto internals read (pinned to moto 5.2.5; tests/canary/test_moto_outbox.py holds their canaries):

* ``moto.ses.models.ses_backends[account][region].sent_messages``: ``Message`` objects with ``id``,
  ``source``, ``subject``, ``body`` and ``destinations`` (``{"ToAddresses": [...], ...}``). moto keeps ONE
  body per email: the HTML part when there is one, otherwise the text part. Raw and templated emails
  are in the same list with other shapes; they are skipped here.
* ``moto.sns.models.sns_backends[account][region].sms_messages``: ``{message_id: (phone, text)}``, in
  publishing order.
"""

from __future__ import annotations

from dataclasses import dataclass

from moto.ses.models import Message as SesMessage
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from localcloud.provision import ACCOUNT_ID

__all__ = ["SentEmail", "SentText", "clear", "emails", "texts"]

REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class SentEmail:
    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    #: The HTML part when the email had one, otherwise the text part (moto keeps one).
    body: str
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SentText:
    message_id: str
    phone: str
    text: str


def emails(to: str | None = None, *, account: str = ACCOUNT_ID, region: str = REGION) -> list[SentEmail]:
    """Every email sent (to ``to`` only, when given), oldest first."""
    sent = []
    for message in list(ses_backends[account][region].sent_messages):
        if type(message) is not SesMessage:
            continue  # raw, templated or bulk emails: not sent by this platform
        destinations = message.destinations or {}
        email = SentEmail(
            message_id=message.id,
            sender=message.source,
            to=tuple(destinations.get("ToAddresses", [])),
            cc=tuple(destinations.get("CcAddresses", [])),
            bcc=tuple(destinations.get("BccAddresses", [])),
            subject=message.subject,
            body=message.body,
        )
        if to is None or to in email.to or to in email.cc or to in email.bcc:
            sent.append(email)
    return sent


def texts(phone: str | None = None, *, account: str = ACCOUNT_ID, region: str = REGION) -> list[SentText]:
    """Every text message published to a phone number (to ``phone`` only, when given), oldest first."""
    published = list(sns_backends[account][region].sms_messages.items())
    return [
        SentText(message_id, number, text)
        for message_id, (number, text) in published
        if phone is None or number == phone
    ]


def clear(*, account: str = ACCOUNT_ID, region: str = REGION) -> None:
    """Forget what was sent (between tests: moto's SES and SNS keep it for the whole session)."""
    ses_backends[account][region].sent_messages.clear()
    sns_backends[account][region].sms_messages.clear()
    sns_backends[account][region].sms_message_objects.clear()
