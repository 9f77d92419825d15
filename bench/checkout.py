"""Checkout: state transitions, Lambda invocations and DynamoDB writes per confirmed order,
and the local time from ``POST /v1/checkout`` to ``confirmed`` (median and p95).

The counts come from the execution history (``*StateEntered`` events: Standard workflows
bill each one) and from counting, on moto's DynamoDB handler, the write calls and the items
they write while one order goes through. The latency is measured from the request to the
execution's end, polled every 20 ms: it includes moto's own cost (transactions deep-copy
the tables), so it is a local figure, not a prediction for AWS.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from typing import Any

sys.path[:0] = ["tests", "layers/commerce"]

WRITES = {"PutItem": 1, "UpdateItem": 1, "DeleteItem": 1}


def _count_dynamodb(counter: Counter[str]) -> Any:
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def counting(self: DynamoHandler) -> Any:
        action = str(self.headers.get("X-Amz-Target", "")).rsplit(".", 1)[-1]
        params = getattr(self, "params", None) or {}
        counter[action] += 1
        if action in WRITES:
            counter["item writes"] += 1
        elif action == "TransactWriteItems":
            counter["item writes"] += len(params.get("TransactItems", []))
        return original(self)

    return original, counting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100)
    args = parser.parse_args(argv)
    from moto.dynamodb.responses import DynamoHandler

    from localcloud import LocalCloud
    from support import checkout, execution_arn, new_product, register

    with LocalCloud() as cloud:
        admin, seller, customer = (register(cloud, r) for r in ("admin", "seller", "customer"))
        category = cloud.request("POST", "/v1/categories", json={"name": "Bench"}, token=admin.token)
        product = cloud.request(
            "POST", "/v1/products", json=new_product(category.json()["category_id"]), token=seller.token
        ).json()["product_id"]
        cloud.request("PUT", f"/v1/inventory/{product}", json={"available": 100_000}, token=seller.token)
        steps = cloud.functions["OrderStepsFunction"]

        def one_order(counter: Counter[str] | None = None) -> tuple[float, str]:
            cloud.request("PUT", f"/v1/cart/items/{product}", json={"quantity": 1}, token=customer.token)
            original = None
            if counter is not None:
                original, counting = _count_dynamodb(counter)
                DynamoHandler.call_action = counting  # type: ignore[method-assign]
            try:
                started = time.perf_counter()
                response = checkout(cloud, customer)
                assert response.status == 202, response.text
                order_id = response.json()["order_id"]
                described = cloud.wait_for_execution(execution_arn(cloud, order_id), timeout=60)
                elapsed = time.perf_counter() - started
            finally:
                if original is not None:
                    DynamoHandler.call_action = original  # type: ignore[method-assign]
            assert described["status"] == "SUCCEEDED", described
            return elapsed, order_id

        one_order()  # warm every function
        counter: Counter[str] = Counter()
        before = steps.invocations
        _, order_id = one_order(counter)
        history = cloud.execution_history(execution_arn(cloud, order_id))
        transitions = sum(1 for e in history if e["type"].endswith("StateEntered"))
        print("Per confirmed order (1 line, 1 seller)")
        print(f"  state transitions (billed by Standard): {transitions}")
        print(
            f"  saga Lambda invocations:                {steps.invocations - before} (+1 checkout API call)"
        )
        print(f"  DynamoDB item writes:                   {counter['item writes']}")
        print(
            "  DynamoDB calls:                         "
            + ", ".join(f"{k} {v}" for k, v in sorted(counter.items()) if k != "item writes")
        )
        print("    (includes the stream handlers the local cloud runs in-process)")
        times = sorted(one_order()[0] for _ in range(args.orders))
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(
            f"Checkout -> confirmed over {len(times)} orders: median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
