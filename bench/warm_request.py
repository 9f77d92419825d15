"""Warm request: what our handler adds to a product read, against one raw GetItem.

``GET /v1/products/{id}`` on a warm function does one GetItem; everything else (event
parsing, routing, validation, the domain and the pydantic reply, Powertools' logger and
tracer wrappers) is our overhead. Both sides run in this process against the same moto
table through a boto3 client built the same way (the handler's own, from
``commerce.bootstrap``), so the ratio median(handler) / median(GetItem) isolates that
overhead from moto's cost. Target: <= 1.5.

The handler is called through ``FunctionRuntime.invoke`` with the payload-format-2.0 event
the local API Gateway builds (captured once, then replayed). Handler calls, raw GetItems
and, for information, whole requests through the gateway (``cloud.request``) alternate in
blocks so drift on a shared machine hits all three.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench import percentile

__all__ = ["Sample", "WarmRequestResult", "main", "report", "run"]

TARGET = 1.5
FUNCTION = "CatalogFunction"


@dataclass(frozen=True)
class Sample:
    name: str
    micros: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.micros)

    @property
    def p95(self) -> float:
        return percentile(self.micros, 95)


@dataclass(frozen=True)
class WarmRequestResult:
    handler: Sample
    get_item: Sample
    gateway: Sample

    @property
    def ratio(self) -> float:
        return self.handler.median / self.get_item.median

    @property
    def gateway_ratio(self) -> float:
        return self.gateway.median / self.get_item.median


def _create_product() -> str:
    """One category and one product, written through the catalogue service as an admin and
    a seller would."""
    from commerce import bootstrap
    from commerce.catalog.service import NewProduct
    from commerce.identity import Principal, Role
    from commerce.money import Money

    catalog = bootstrap.catalog_service()
    admin = Principal("bench-admin", frozenset({Role.ADMIN}))
    seller = Principal("bench-seller", frozenset({Role.SELLER}))
    category = catalog.create_category(admin, "Benchmarks", None, None)
    draft = NewProduct(
        name="Stopwatch",
        description="Measures one thing at a time.",
        price=Money(1999, "USD"),
        category_id=category.category_id,
    )
    return catalog.create_product(seller, draft).product_id


def _capture_event(cloud: Any, path: str) -> dict[str, Any]:
    """The event the local API Gateway hands the function for ``GET path``."""
    runtime = cloud.functions[FUNCTION]
    captured: list[dict[str, Any]] = []

    def recording(event: dict[str, Any]) -> Any:
        captured.append(event)
        return type(runtime).invoke(runtime, event)

    runtime.invoke = recording
    try:
        response = cloud.request("GET", path)
    finally:
        del runtime.invoke
    if response.status != 200 or len(captured) != 1:
        raise RuntimeError(f"GET {path} answered {response.status}: {response.text}")
    return captured[0]


def _timed(call: Callable[[], object], times: int, into: list[float]) -> None:
    for _ in range(times):
        start = time.perf_counter_ns()
        call()
        into.append((time.perf_counter_ns() - start) / 1000)


def run(quick: bool = False) -> WarmRequestResult:
    from commerce import bootstrap
    from localcloud.cloud import LocalCloud

    warmup, blocks, per_block = (5, 3, 10) if quick else (50, 20, 25)
    cloud = LocalCloud().start()
    try:
        product_id = _create_product()
        path = f"/v1/products/{product_id}"
        event = _capture_event(cloud, path)
        runtime = cloud.functions[FUNCTION]
        dynamodb = bootstrap._client("dynamodb")
        table = cloud.ref("ProductsTable")
        key = {"product_id": {"S": product_id}}

        def handler() -> Any:
            return runtime.invoke(event)

        def get_item() -> Any:
            return dynamodb.get_item(TableName=table, Key=key)

        def gateway() -> object:
            return cloud.request("GET", path)

        answer = handler()
        if answer.get("statusCode") != 200 or "Item" not in get_item():
            raise RuntimeError(f"the product cannot be read back: {answer}")
        for call in (handler, get_item, gateway):
            _timed(call, warmup, [])
        samples: dict[str, list[float]] = {"handler": [], "get_item": [], "gateway": []}
        for _ in range(blocks):
            _timed(handler, per_block, samples["handler"])
            _timed(get_item, per_block, samples["get_item"])
            _timed(gateway, per_block, samples["gateway"])
    finally:
        cloud.stop()
    return WarmRequestResult(
        handler=Sample("handler GET /v1/products/{id}", samples["handler"]),
        get_item=Sample("raw GetItem, same table", samples["get_item"]),
        gateway=Sample("through local API Gateway", samples["gateway"]),
    )


def report(result: WarmRequestResult) -> None:
    verdict = "ok" if result.ratio <= TARGET else "over target"
    print(
        f"Warm request, {len(result.handler.micros)} calls each in alternating blocks"
        f" (target ratio <= {TARGET})"
    )
    print(f"  {'':<40} {'median µs':>10} {'p95 µs':>10}")
    for sample in (result.handler, result.get_item, result.gateway):
        print(f"  {sample.name:<40} {sample.median:10.0f} {sample.p95:10.0f}")
    print(f"  ratio handler / GetItem (medians)        {result.ratio:10.2f}   {verdict}")
    print(f"  ratio gateway / GetItem (information)    {result.gateway_ratio:10.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.warm_request", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 blocks of 10 calls")
    args = parser.parse_args(argv)
    report(run(args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
