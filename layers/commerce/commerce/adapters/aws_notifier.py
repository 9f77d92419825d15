"""The notifier on SES (email) and SNS (text messages)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from commerce.errors import DependencyFailure
from commerce.notifications.ports import Notifier

__all__ = ["SesSnsNotifier"]


class SesSnsNotifier(Notifier):
    """Sends each message with one SES ``SendEmail`` or SNS ``Publish`` call. Failures become
    ``DependencyFailure`` so the caller (a queue consumer) lets the message be retried."""

    def __init__(self, ses_client: Any, sns_client: Any, sender: str) -> None:
        self._ses = ses_client
        self._sns = sns_client
        self._sender = sender

    def email(self, to: str, subject: str, text: str, html: str | None = None) -> str:
        body: dict[str, Any] = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        try:
            response = self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
            )
        except (ClientError, BotoCoreError) as error:
            raise DependencyFailure(
                f"SES did not send the email: {_reason(error)}", code="email_not_sent"
            ) from error
        return str(response["MessageId"])

    def sms(self, phone: str, text: str) -> str:
        try:
            response = self._sns.publish(
                PhoneNumber=phone,
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise DependencyFailure(
                f"SNS did not send the text message: {_reason(error)}", code="sms_not_sent"
            ) from error
        return str(response["MessageId"])


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "unknown"))
    return type(error).__name__
