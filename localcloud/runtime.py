"""Runs each function's real handler in this process, as Lambda would: a module loaded from
its code folder is one execution environment (a cold start), reused for warm invocations.

Lambda gives each environment ONE invocation at a time, and handlers rely on it (Powertools'
resolver keeps the current event on a module-level object). Here invocations run on many
threads at once, so each function keeps a pool of environments: an invocation takes an idle
one, or loads a fresh copy of the module when all are busy, exactly as Lambda scales out.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from localcloud.template import FunctionSpec

__all__ = ["FunctionRuntime", "LambdaContext", "merge_environments"]

#: Variables every function sets to its own value; each handler names its service explicitly.
_PER_FUNCTION = {"POWERTOOLS_SERVICE_NAME"}


def merge_environments(environments: dict[str, dict[str, str]]) -> dict[str, str]:
    """All functions share one process here, so they share one environment: refuse a
    template in which two functions give one variable different values."""
    merged: dict[str, str] = {}
    for logical_id, variables in environments.items():
        for key, value in variables.items():
            if key in _PER_FUNCTION:
                continue
            if key in merged and merged[key] != value:
                raise ValueError(f"{logical_id} sets {key}={value!r}, another function sets {merged[key]!r}")
            merged[key] = value
    return merged


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline: float
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class FunctionRuntime:
    def __init__(self, spec: FunctionSpec, physical_name: str, arn: str) -> None:
        self.spec = spec
        self.physical_name = physical_name
        self.arn = arn
        self._idle: list[ModuleType] = []
        self._lock = threading.Lock()
        self.invocations = 0
        #: Execution environments created so far (cold starts).
        self.environments = 0

    def _load(self) -> ModuleType:
        module_name, _ = self.spec.handler.rsplit(".", 1)
        path = self.spec.code_dir / f"{module_name.replace('.', os.sep)}.py"
        unique = f"localcloud_functions.{self.spec.logical_id}.{module_name}"
        loader_spec = importlib.util.spec_from_file_location(unique, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(loader_spec)
        loader_spec.loader.exec_module(module)
        return module

    def _acquire(self) -> ModuleType:
        with self._lock:
            self.invocations += 1
            if self._idle:
                return self._idle.pop()
            self.environments += 1
        return self._load()

    def invoke(self, event: Any) -> Any:
        module = self._acquire()
        try:
            return self._run(module, event)
        finally:
            with self._lock:
                self._idle.append(module)

    def _run(self, module: ModuleType, event: Any) -> Any:
        handler = getattr(module, self.spec.handler.rsplit(".", 1)[1])
        timeout = float(self.spec.properties.get("Timeout", 3))
        context = LambdaContext(
            function_name=self.physical_name,
            memory_limit_in_mb=int(self.spec.properties.get("MemorySize", 128)),
            invoked_function_arn=self.arn,
            aws_request_id=str(uuid.uuid4()),
            deadline=time.monotonic() + timeout,
        )
        return handler(event, context)
