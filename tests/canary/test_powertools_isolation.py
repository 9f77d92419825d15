"""Canaries for localcloud/isolation.py: the Powertools internal it patches, and that the patch
gives each thread its own request."""

from __future__ import annotations

import inspect
import threading
from importlib.metadata import version

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, BaseRouter

from localcloud import isolation


def test_powertools_is_the_pinned_version() -> None:
    assert version("aws-lambda-powertools") == "3.37.0"


def test_powertools_still_keeps_the_current_event_on_the_class() -> None:
    source = inspect.getsource(ApiGatewayResolver.resolve)
    assert "BaseRouter.current_event =" in source
    assert "BaseRouter.lambda_context =" in source


def event(path: str) -> dict[str, object]:
    return {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "GET", "path": path}, "stage": "$default"},
        "isBase64Encoded": False,
    }


def test_after_install_each_thread_resolves_its_own_event() -> None:
    # GIVEN the patch and a handler that yields to another thread mid-request
    isolation.install()
    isolation.install()  # idempotent
    app = APIGatewayHttpResolver()
    seen: dict[str, str] = {}
    both_inside = threading.Barrier(2)

    @app.get("/<name>")
    def handle(name: str) -> dict[str, str]:
        both_inside.wait(timeout=5)
        seen[name] = app.current_event.path
        return {}

    # WHEN two requests are resolved at the same time on two threads
    threads = [threading.Thread(target=app.resolve, args=(event(f"/{n}"), None)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN each saw its own request, not the one resolved last
    assert seen == {"a": "/a", "b": "/b"}
    assert type(BaseRouter).__name__ == "_RouterMeta"
