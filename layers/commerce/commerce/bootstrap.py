"""The one place that builds dependencies: settings, AWS clients and services, each made
lazily on first use and then reused across warm invocations."""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from commerce.settings import Settings

if TYPE_CHECKING:
    from commerce.accounts.service import AccountService
    from commerce.carts.service import CartService
    from commerce.catalog.service import CatalogService
    from commerce.inventory.events import StockEventPublisher
    from commerce.inventory.service import InventoryService
    from commerce.orders.checkout import CheckoutService
    from commerce.orders.events import OrderEventPublisher
    from commerce.orders.saga import FulfilmentSteps
    from commerce.orders.service import OrderService
    from commerce.payments.ports import PaymentProvider

__all__ = [
    "account_service",
    "cart_service",
    "catalog_service",
    "checkout_service",
    "fulfilment_steps",
    "inventory_service",
    "order_event_publisher",
    "order_service",
    "payment_provider",
    "reset",
    "settings",
    "stock_event_publisher",
]

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


@cache
def inventory_service() -> InventoryService:
    from datetime import timedelta

    from commerce.adapters.dynamodb_catalog import DynamoDBProductOwners
    from commerce.adapters.dynamodb_inventory import DynamoDBInventoryRepository
    from commerce.clock import system_clock
    from commerce.inventory.service import InventoryService

    config = settings()
    dynamodb = _client("dynamodb")
    return InventoryService(
        stock=DynamoDBInventoryRepository(dynamodb, config.require("inventory_table")),
        owners=DynamoDBProductOwners(dynamodb, config.require("products_table")),
        clock=system_clock,
        reservation_ttl=timedelta(minutes=config.reservation_ttl_minutes),
    )


@cache
def stock_event_publisher() -> StockEventPublisher:
    from commerce.adapters.dynamodb_catalog import DynamoDBProductAvailability
    from commerce.adapters.dynamodb_inventory import DynamoDBInventoryRepository
    from commerce.adapters.eventbridge import EventBridgePublisher
    from commerce.clock import system_clock
    from commerce.inventory.events import StockEventPublisher

    config = settings()
    dynamodb = _client("dynamodb")
    return StockEventPublisher(
        stock=DynamoDBInventoryRepository(dynamodb, config.require("inventory_table")),
        events=EventBridgePublisher(_client("events"), config.require("event_bus_name")),
        clock=system_clock,
        board=DynamoDBProductAvailability(dynamodb, config.require("products_table")),
    )


@cache
def cart_service() -> CartService:
    from commerce.adapters.dynamodb_carts import DynamoDBCartRepository
    from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository
    from commerce.adapters.dynamodb_inventory import DynamoDBInventoryRepository
    from commerce.carts.service import CartService
    from commerce.clock import system_clock

    config = settings()
    dynamodb = _client("dynamodb")
    return CartService(
        carts=DynamoDBCartRepository(dynamodb, config.require("carts_table")),
        products=DynamoDBProductRepository(dynamodb, config.require("products_table")),
        stock=DynamoDBInventoryRepository(dynamodb, config.require("inventory_table")),
        clock=system_clock,
    )


@cache
def payment_provider() -> PaymentProvider:
    from commerce.adapters.payment_simulator import SimulatedCardProcessor
    from commerce.clock import system_clock

    return SimulatedCardProcessor(
        _client("dynamodb"), settings().require("payment_simulator_table"), system_clock
    )


def _order_repository() -> Any:
    from commerce.adapters.dynamodb_orders import DynamoDBOrderRepository

    config = settings()
    return DynamoDBOrderRepository(_client("dynamodb"), config.require("orders_table"), config.carts_table)


@cache
def fulfilment_steps() -> FulfilmentSteps:
    from commerce.clock import system_clock
    from commerce.orders.saga import FulfilmentSteps

    return FulfilmentSteps(
        orders=_order_repository(),
        inventory=inventory_service(),
        payments=payment_provider(),
        clock=system_clock,
    )


@cache
def order_service() -> OrderService:
    from commerce.clock import system_clock
    from commerce.orders.service import OrderService

    return OrderService(orders=_order_repository(), steps=fulfilment_steps(), clock=system_clock)


@cache
def checkout_service() -> CheckoutService:
    from datetime import timedelta

    from commerce.adapters.dynamodb_carts import DynamoDBCartRepository
    from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository
    from commerce.adapters.dynamodb_users import DynamoDBUserRepository
    from commerce.adapters.stepfunctions import StepFunctionsWorkflow
    from commerce.clock import system_clock
    from commerce.orders.checkout import CheckoutService
    from commerce.orders.pricing import PricingRules

    config = settings()
    dynamodb = _client("dynamodb")
    return CheckoutService(
        orders=_order_repository(),
        carts=DynamoDBCartRepository(dynamodb, config.require("carts_table")),
        products=DynamoDBProductRepository(dynamodb, config.require("products_table")),
        addresses=DynamoDBUserRepository(dynamodb, config.require("users_table")),
        workflow=StepFunctionsWorkflow(_client("stepfunctions"), config.require("order_state_machine_arn")),
        rules=PricingRules.from_json(config.pricing_rules)
        if config.pricing_rules
        else PricingRules.default(),
        clock=system_clock,
        lock_for=timedelta(minutes=config.checkout_lock_minutes),
    )


@cache
def order_event_publisher() -> OrderEventPublisher:
    from commerce.adapters.eventbridge import EventBridgePublisher
    from commerce.orders.events import OrderEventPublisher

    return OrderEventPublisher(EventBridgePublisher(_client("events"), settings().require("event_bus_name")))


def reset() -> None:
    """Forget everything built so far (the local cloud calls this when it rebuilds resources)."""
    for built in (
        settings,
        _client,
        account_service,
        catalog_service,
        inventory_service,
        stock_event_publisher,
        cart_service,
        payment_provider,
        fulfilment_steps,
        order_service,
        checkout_service,
        order_event_publisher,
    ):
        built.cache_clear()
