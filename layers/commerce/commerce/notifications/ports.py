"""What notifications need from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod

__all__ = ["Notifier"]


class Notifier(ABC):
    """Sends messages (SES and SNS in the cloud; moto's outbox locally). Each call sends one
    message and returns the provider's message id; failures raise ``DependencyFailure``."""

    @abstractmethod
    def email(self, to: str, subject: str, text: str, html: str | None = None) -> str: ...

    @abstractmethod
    def sms(self, phone: str, text: str) -> str: ...
