"""Cold import: how much a handler's module-level imports cost above the unavoidable floor.

A Lambda cold start pays for every import in the handler module before the first request.
The floor is what any Python function using boto3 and Powertools must pay anyway: a fresh
interpreter importing ``boto3`` and ``aws_lambda_powertools`` (and its ``Logger``) and
creating one DynamoDB client. A handler's cold import is a fresh interpreter importing
``functions/<service>/app.py`` as Lambda does (its folder as the working directory and on
``sys.path``, the layer on ``PYTHONPATH``) and creating its first DynamoDB client through
``commerce.bootstrap``, so both sides include one client.

Time is measured inside the child with ``time.perf_counter`` around the imports only, not
interpreter start-up. Floor and handler runs alternate so drift on a shared machine hits
both; one discarded run of each first fills the bytecode caches. The figure reported is
median(handler) / median(floor), target <= 1.3, plus ``-X importtime``'s heaviest modules
the catalog handler imports beyond the floor's, to show what to import lazily.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import ROOT

__all__ = ["ColdImportResult", "HeavyImport", "main", "report", "run"]

TARGET = 1.3
SERVICES = ("accounts", "catalog", "gateway")
PROFILED_SERVICE = "catalog"

_FLOOR = """\
import time
_start = time.perf_counter()
import boto3
import aws_lambda_powertools
from aws_lambda_powertools import Logger
boto3.client("dynamodb", region_name="us-east-1")
print((time.perf_counter() - _start) * 1000)
"""

#: The floor plus the HTTP framework every API function is built on (Powertools' validating
#: resolver, which brings pydantic): shows how much of a ratio is ours and how much is theirs.
_FRAMEWORK_FLOOR = """\
import time
_start = time.perf_counter()
import boto3
import aws_lambda_powertools
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
APIGatewayHttpResolver(enable_validation=True)
boto3.client("dynamodb", region_name="us-east-1")
print((time.perf_counter() - _start) * 1000)
"""

_HANDLER = """\
import time
_start = time.perf_counter()
import app
import commerce.bootstrap
commerce.bootstrap._client("dynamodb")
print((time.perf_counter() - _start) * 1000)
"""


@dataclass(frozen=True)
class HeavyImport:
    module: str
    self_ms: float
    #: Self time of this module and of everything it imported that the floor does not import.
    beyond_floor_ms: float


@dataclass(frozen=True)
class ColdImportResult:
    repeat: int
    floor_ms: list[float]
    handler_ms: dict[str, list[float]]
    heaviest: list[HeavyImport]
    extra_modules: int
    extra_self_ms: float
    framework_ms: list[float]

    @property
    def floor_median(self) -> float:
        return statistics.median(self.floor_ms)

    def median(self, service: str) -> float:
        return statistics.median(self.handler_ms[service])

    def ratio(self, service: str) -> float:
        return self.median(service) / self.floor_median


def _environment() -> dict[str, str]:
    """The parent's environment minus anything AWS- or Powertools-specific, plus a fake,
    offline configuration, so that no credential lookup or profile skews a run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_")) and key != "PYTHONPATH"
    }
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        POWERTOOLS_TRACE_DISABLED="true",
        PYTHONPATH=str(ROOT / "layers" / "commerce"),
    )
    return env


def _child(code: str, cwd: Path, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )


def _time(code: str, cwd: Path, env: dict[str, str]) -> float:
    return float(_child(code, cwd, env).stdout.strip().splitlines()[-1])


def _import_lines(stderr: str) -> list[tuple[int, str, int]]:
    """``-X importtime`` lines as (depth, module, self µs), in the order printed (post-order)."""
    lines = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        lines.append((depth, name.strip(), int(self_us)))
    return lines


def _heaviest_beyond(
    floor_stderr: str, handler_stderr: str, top: int
) -> tuple[list[HeavyImport], int, float]:
    floor = {name for _, name, _ in _import_lines(floor_stderr)}
    lines = _import_lines(handler_stderr)
    found: list[HeavyImport] = []
    # Post-order: a module's children are the deeper entries left on the stack before it.
    stack: list[tuple[int, int]] = []
    for depth, name, self_us in lines:
        children = 0
        while stack and stack[-1][0] > depth:
            children += stack.pop()[1]
        own = 0 if name in floor else self_us
        stack.append((depth, own + children))
        if name not in floor:
            found.append(HeavyImport(name, self_us / 1000, (own + children) / 1000))
    extra = [item for item in found if item.module != "app"]
    extra_self = sum(item.self_ms for item in found)
    extra.sort(key=lambda item: item.beyond_floor_ms, reverse=True)
    return extra[:top], len(found), extra_self


def run(quick: bool = False, repeat: int | None = None) -> ColdImportResult:
    repeat = repeat or (3 if quick else 15)
    env = _environment()
    floor_cwd = ROOT / "bench"
    folders = {service: ROOT / "functions" / service for service in SERVICES}
    # Discarded: fills __pycache__ and the page cache for both sides.
    _time(_FLOOR, floor_cwd, env)
    for folder in folders.values():
        _time(_HANDLER, folder, env)

    floor: list[float] = []
    framework: list[float] = []
    handlers: dict[str, list[float]] = {service: [] for service in SERVICES}
    for round_ in range(repeat):
        # Rotate the handler order so no service always runs right after the floor.
        order = SERVICES[round_ % len(SERVICES) :] + SERVICES[: round_ % len(SERVICES)]
        for service in order:
            floor.append(_time(_FLOOR, floor_cwd, env))
            handlers[service].append(_time(_HANDLER, folders[service], env))
        framework.append(_time(_FRAMEWORK_FLOOR, floor_cwd, env))

    floor_profile = _child(_FLOOR, floor_cwd, env, "-X", "importtime").stderr
    handler_profile = _child(_HANDLER, folders[PROFILED_SERVICE], env, "-X", "importtime").stderr
    heaviest, count, extra_self = _heaviest_beyond(floor_profile, handler_profile, top=10)
    return ColdImportResult(repeat, floor, handlers, heaviest, count, extra_self, framework)


def report(result: ColdImportResult) -> None:
    print(f"Cold import, median of {result.repeat} fresh interpreters per handler (target ratio <= {TARGET})")
    print(f"  {'floor (boto3 + powertools + client)':<38} {result.floor_median:9.1f} ms")
    for service in SERVICES:
        ratio = result.ratio(service)
        verdict = "ok" if ratio <= TARGET else "over target"
        print(
            f"  {service + ' handler + client':<38} {result.median(service):9.1f} ms"
            f"   ratio {ratio:5.2f}  {verdict}"
        )
    framework = statistics.median(result.framework_ms)
    print(
        f"  {'floor + Powertools validating resolver':<38} {framework:9.1f} ms"
        f"   ratio {framework / result.floor_median:5.2f}  (the HTTP framework alone)"
    )
    for service in SERVICES:
        print(
            f"  {service + ' over that framework floor':<38} {'':9} {'':3}   ratio {result.median(service) / framework:5.2f}"
        )
    print(
        f"\n  {PROFILED_SERVICE} handler imports {result.extra_modules} modules beyond the floor's,"
        f" {result.extra_self_ms:.1f} ms of self time (-X importtime, one run)"
    )
    print(f"  {'heaviest beyond the floor':<58} {'self ms':>8} {'+subtree ms':>12}")
    for item in result.heaviest:
        print(f"  {item.module:<58} {item.self_ms:8.1f} {item.beyond_floor_ms:12.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_import", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 repetitions")
    parser.add_argument("--repeat", type=int, help="fresh interpreters per side (default 15)")
    args = parser.parse_args(argv)
    report(run(args.quick, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
