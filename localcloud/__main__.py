"""`python -m localcloud serve` (what `make run` does) and `python -m localcloud openapi`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

__all__ = ["main"]


def _poll_queues_forever(cloud: LocalCloud, every_seconds: float = 5.0) -> None:
    """Retry failed queue messages as Lambda's poller would (it polls continuously)."""
    while True:
        time.sleep(every_seconds)
        try:
            cloud.poll_queues()
        except Exception as error:  # noqa: BLE001 - a failing handler is the message's problem, not the poller's
            print(f"[localcloud] queue poll: {error}", flush=True)


def _serve(args: argparse.Namespace) -> int:
    from localcloud.cloud import LocalCloud
    from localcloud.endpoint import AwsEndpoint
    from localcloud.files import IMAGES_PATH, LocalFiles
    from localcloud.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed, seed_stock
    from localcloud.server import make_server

    started = time.perf_counter()
    cloud = LocalCloud(public_url=f"http://{args.host}:{args.port}").start()
    report = seed(cloud) if not args.no_seed else None
    server = make_server(
        cloud.gateway,
        args.host,
        args.port,
        quiet=args.quiet,
        authenticate=cloud.simulated_3ds_answer,
        files=LocalFiles.of(cloud),
    )
    port = server.server_address[1]
    endpoint: AwsEndpoint | None = None
    endpoint_problem = "off (--aws-port 0)"
    if args.aws_port:
        try:
            endpoint = AwsEndpoint(args.host, args.aws_port, cloud.region).start()
        except OSError:
            endpoint_problem = (
                f"not started: cannot listen on port {args.aws_port} (taken?); "
                "choose another with AWS_ENDPOINT_PORT=4567 make run"
            )
    cloud.scheduler.start()
    threading.Thread(target=_poll_queues_forever, args=(cloud,), name="sqs-poller", daemon=True).start()
    base = f"http://{args.host}:{port}"
    lines = [
        "",
        f"Commerce platform running locally on {base}  (ready in {time.perf_counter() - started:.1f} s)",
        f"  API docs (Swagger UI): {base}/v1/docs",
        f"  OpenAPI document:      {base}/v1/openapi.json",
        f"  Try:                   curl {base}/v1/products?limit=3",
        f"  Search:                curl '{base}/v1/search?q=headphnes&limit=3'   (typos welcome)",
        f"  Autocomplete:          curl '{base}/v1/search/suggest?q=wirel'",
    ]
    if report is not None:
        lines.append(
            f"  Demo data: {report.categories} categories, {report.products} products, {report.accounts} accounts"
        )
        lines.append(f"  Demo logins (password {DEMO_PASSWORD}, local only):")
        lines += [f"    {role:<9}{email}" for role, email in DEMO_ACCOUNTS.items()]
        lines.append(
            f"  Sign in:  curl -s -X POST {base}/v1/auth/login -H 'content-type: application/json' "
            f'-d \'{{"email":"customer@example.com","password":"{DEMO_PASSWORD}"}}\''
        )
    lines.append(
        f"  3-D Secure (test card pm_card_authenticationRequired): curl -X POST {base}/_simulator/3ds/<order_id>"
        "  (?outcome=fail to fail it)"
    )
    lines.append(
        f"  Product images:        POST {base}/v1/products/<id>/images/uploads, post the form it returns,"
        f" then GET {base}{IMAGES_PATH}..."
    )
    if endpoint is not None:
        lines.append(f"  AWS APIs (moto):       {endpoint.url}   (stack {cloud.stack!r}, any credentials)")
        lines.append(f"  Admin CLI:             commerce-admin --endpoint-url {endpoint.url} orders list")
    else:
        lines.append(f"  AWS APIs (moto):       {endpoint_problem}")
    lines.append("Press Ctrl-C to stop.\n")
    print("\n".join(lines), flush=True)
    if report is not None:

        def stock_in_background() -> None:
            began = time.perf_counter()
            count = seed_stock(cloud)
            print(
                f"[localcloud] demo stock ready: {count} products in {time.perf_counter() - began:.0f} s",
                flush=True,
            )

        threading.Thread(target=stock_in_background, name="demo-stock", daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        print("\nStopping.")
    finally:
        server.server_close()
        if endpoint is not None:
            endpoint.stop()
        cloud.stop()
    return 0


def _openapi(_: argparse.Namespace) -> int:
    from localcloud.openapi import build_document

    sys.stdout.write(json.dumps(build_document(), indent=2, sort_keys=False) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the whole platform on 127.0.0.1")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    serve.add_argument("--no-seed", action="store_true", help="start without demo data")
    serve.add_argument("--quiet", action="store_true", help="do not log each request")
    serve.add_argument(
        "--aws-port",
        type=int,
        default=int(os.environ.get("AWS_ENDPOINT_PORT", "4566")),
        help="where moto's AWS APIs answer other processes (commerce-admin --endpoint-url); 0: nowhere",
    )
    serve.set_defaults(run=_serve)
    openapi = commands.add_parser("openapi", help="print the merged OpenAPI document")
    openapi.set_defaults(run=_openapi)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
