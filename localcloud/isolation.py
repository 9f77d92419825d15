"""Gives each thread its own Powertools resolver state, as each Lambda environment has.

Powertools' event handler keeps the request being handled on the CLASS: ``resolve()`` does
``BaseRouter.current_event = ...`` (and ``lambda_context``). That is right in Lambda, where a
process handles one invocation at a time, but localcloud runs concurrent invocations on
threads of one process, where the second request would overwrite the first one's event:
a handler would then read another caller's claims (we saw a customer's checkout read
someone else's cart in a race of 30 checkouts). Here those two attributes become
per-thread, so every thread sees exactly the event it is resolving.

Pinned to aws-lambda-powertools 3.37.0; tests/canary/test_powertools_isolation.py fails
loudly if the class-level assignment moves.
"""

from __future__ import annotations

import threading
from abc import ABCMeta
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

__all__ = ["PER_THREAD_ATTRIBUTES", "install"]

PER_THREAD_ATTRIBUTES = ("current_event", "lambda_context")
_install_lock = threading.Lock()


class _PerThread:
    """A data descriptor whose value is the calling thread's own."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._local = threading.local()

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        try:
            return self._local.value
        except AttributeError:
            raise AttributeError(self._name) from None

    def __set__(self, instance: object, value: Any) -> None:
        self._local.value = value


class _RouterMeta(ABCMeta):
    """``BaseRouter.current_event = x`` goes through the metaclass, so the descriptors live
    here too: class-level assignments become per-thread as well."""


def install() -> None:
    """Make the resolver's per-request state per-thread; calling it again changes nothing."""
    with _install_lock:
        if type(BaseRouter) is _RouterMeta:
            return
        for name in PER_THREAD_ATTRIBUTES:
            slot = _PerThread(name)
            setattr(BaseRouter, name, slot)  # instances read it through the class dict
            setattr(_RouterMeta, name, slot)  # class-level writes go through the metaclass
        BaseRouter.__class__ = _RouterMeta
