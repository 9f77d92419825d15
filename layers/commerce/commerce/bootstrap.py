"""The one place that builds dependencies: settings, AWS clients and services, each made
lazily on first use and then reused across warm invocations."""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from commerce.settings import Settings

if TYPE_CHECKING:
    from commerce.accounts.service import AccountService
    from commerce.catalog.service import CatalogService

__all__ = ["account_service", "catalog_service", "reset", "settings"]

_client_lock = threading.Lock()


@cache
def settings() -> Settings:
    return Settings.from_environment()


@cache
def _client(service: str) -> Any:
    # boto3's default session is not safe to build clients from concurrently.
    import boto3
    from botocore.config import Config

    with _client_lock:
        session = boto3.session.Session()
        return session.client(
            service,  # type: ignore[call-overload]
            region_name=settings().region,
            config=Config(retries={"mode": "standard", "max_attempts": 3}, tcp_keepalive=True),
        )


@cache
def account_service() -> AccountService:
    from commerce.accounts.service import AccountService
    from commerce.adapters.cognito import CognitoIdentityProvider
    from commerce.adapters.dynamodb_users import DynamoDBUserRepository
    from commerce.clock import system_clock

    config = settings()
    return AccountService(
        identity=CognitoIdentityProvider(
            _client("cognito-idp"), config.require("user_pool_id"), config.require("user_pool_client_id")
        ),
        users=DynamoDBUserRepository(_client("dynamodb"), config.require("users_table")),
        clock=system_clock,
    )


@cache
def catalog_service() -> CatalogService:
    from commerce.adapters.dynamodb_catalog import DynamoDBCategoryRepository, DynamoDBProductRepository
    from commerce.catalog.service import CatalogService
    from commerce.clock import system_clock

    config = settings()
    dynamodb = _client("dynamodb")
    return CatalogService(
        products=DynamoDBProductRepository(dynamodb, config.require("products_table")),
        categories=DynamoDBCategoryRepository(dynamodb, config.require("categories_table")),
        clock=system_clock,
    )


def reset() -> None:
    """Forget everything built so far (the local cloud calls this when it rebuilds resources)."""
    for built in (settings, _client, account_service, catalog_service):
        built.cache_clear()
