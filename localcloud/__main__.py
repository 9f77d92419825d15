"""`python -m localcloud serve` (what `make run` does) and `python -m localcloud openapi`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    from localcloud.cloud import LocalCloud
    from localcloud.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed, seed_stock
    from localcloud.server import make_server

    started = time.perf_counter()
    cloud = LocalCloud(public_url=f"http://{args.host}:{args.port}").start()
    report = seed(cloud) if not args.no_seed else None
    server = make_server(
        cloud.gateway, args.host, args.port, quiet=args.quiet, authenticate=cloud.simulated_3ds_answer
    )
    port = server.server_address[1]
    cloud.scheduler.start()
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
    serve.set_defaults(run=_serve)
    openapi = commands.add_parser("openapi", help="print the merged OpenAPI document")
    openapi.set_defaults(run=_openapi)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
