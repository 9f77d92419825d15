"""The one place that builds dependencies: settings, AWS clients and services, each made
lazily on first use and then reused across warm invocations."""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from commerce.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from commerce.accounts.service import AccountService
    from commerce.adapters.cognito_tokens import CognitoAccessTokens
    from commerce.adapters.wallet_payments import WalletPayments
    from commerce.carts.service import CartService
    from commerce.catalog.service import CatalogService
    from commerce.images.service import ImageProcessor, ImageUploadService
    from commerce.inventory.events import StockEventPublisher
    from commerce.inventory.service import InventoryService
    from commerce.notifications.ports import Notifier
    from commerce.notifications.service import NotificationService, WatchService
    from commerce.orders.checkout import CheckoutService
    from commerce.orders.events import OrderEventPublisher
    from commerce.orders.saga import FulfilmentSteps
    from commerce.orders.service import OrderService
    from commerce.orders.webhooks import PaymentWebhooks
    from commerce.payments.ports import PaymentProvider
    from commerce.payments.providers import PaymentProviders
    from commerce.payments.reconciliation import PaymentReconciliation
    from commerce.recommendations.service import RecommendationService
    from commerce.reminders.service import CartReminders
    from commerce.reports.service import SellerSalesReports
    from commerce.reviews.service import ReviewService
    from commerce.search.ports import SearchBackend
    from commerce.search.service import SearchIndexer, SearchService
    from commerce.wallet.service import WalletService

__all__ = [
    "access_tokens",
    "account_service",
    "cart_reminders",
    "cart_service",
    "catalog_service",
    "checkout_service",
    "fulfilment_steps",
    "image_processor",
    "image_upload_service",
    "inventory_service",
    "notification_service",
    "notifier",
    "order_event_publisher",
    "order_service",
    "payment_providers",
    "payment_reconciliation",
    "payment_webhooks",
    "recommendation_service",
    "reset",
    "review_service",
    "search_backend",
    "search_indexer",
    "search_service",
    "seller_sales_reports",
    "settings",
    "stock_event_publisher",
    "stripe_webhook_secret",
    "wallet_payments",
    "wallet_service",
    "watch_service",
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
        sellers_need_approval=config.seller_approval == "manual",
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


def _payment_reference(order_id: str) -> str | None:
    """The provider's id for the order's payment, as the order recorded it (Stripe and PayPal
    adapters keep no state of their own)."""
    order = _order_repository().get(order_id)
    return order.payment.reference if order is not None else None


def _card_provider() -> PaymentProvider:
    from commerce.clock import system_clock

    config = settings()
    if config.card_provider == "stripe":
        from commerce.adapters.stripe_payments import StripePayments

        return StripePayments.from_secret(
            config.require("stripe_secret_name"), _payment_reference, system_clock
        )
    from commerce.adapters.payment_simulator import SimulatedCardProcessor

    return SimulatedCardProcessor(
        _client("dynamodb"), config.require("payment_simulator_table"), system_clock
    )


@cache
def payment_providers() -> PaymentProviders:
    """One provider per payment method kind this deployment is configured for."""
    from commerce.clock import system_clock
    from commerce.payments.model import PaymentMethodKind
    from commerce.payments.providers import PaymentProviders

    config = settings()
    by_kind: dict[PaymentMethodKind, PaymentProvider] = {PaymentMethodKind.CARD: _card_provider()}
    if config.wallet_table:
        by_kind[PaymentMethodKind.WALLET] = wallet_payments()
    if config.paypal_secret_name:
        from commerce.adapters.paypal_payments import PayPalPayments

        by_kind[PaymentMethodKind.PAYPAL] = PayPalPayments.from_secret(
            config.paypal_secret_name,
            _payment_reference,
            system_clock,
            return_url=config.paypal_return_url,
            cancel_url=config.paypal_cancel_url,
            environment=config.paypal_environment,
        )
    return PaymentProviders(by_kind)


@cache
def wallet_payments() -> WalletPayments:
    from commerce.adapters.wallet_payments import WalletPayments
    from commerce.clock import system_clock

    return WalletPayments(_client("dynamodb"), settings().require("wallet_table"), system_clock)


def wallet_service() -> WalletService:
    return wallet_payments().wallets


@cache
def _secrets() -> Any:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=_client("secretsmanager"))


def stripe_webhook_secret() -> str:
    """Stripe's signing secret for the webhook endpoint, cached for five minutes (a rotated
    secret is picked up without a redeploy)."""
    return str(_secrets().get(settings().require("stripe_webhook_secret_name"), max_age=300))


@cache
def payment_webhooks() -> PaymentWebhooks:
    from commerce.adapters.dynamodb_webhooks import DynamoDBWebhookInbox
    from commerce.clock import system_clock
    from commerce.orders.webhooks import PaymentWebhooks

    return PaymentWebhooks(
        steps=fulfilment_steps(),
        inbox=DynamoDBWebhookInbox(_client("dynamodb"), settings().require("orders_table")),
        clock=system_clock,
    )


def _workflow() -> Any:
    from commerce.adapters.stepfunctions import StepFunctionsWorkflow

    return StepFunctionsWorkflow(_client("stepfunctions"), settings().require("order_state_machine_arn"))


def _order_repository() -> Any:
    from commerce.adapters.dynamodb_orders import DynamoDBOrderRepository

    config = settings()
    return DynamoDBOrderRepository(_client("dynamodb"), config.require("orders_table"), config.carts_table)


@cache
def fulfilment_steps() -> FulfilmentSteps:
    from datetime import timedelta

    from commerce.clock import system_clock
    from commerce.orders.saga import FulfilmentSteps

    return FulfilmentSteps(
        orders=_order_repository(),
        inventory=inventory_service(),
        payments=payment_providers(),
        workflow=_workflow(),
        clock=system_clock,
        customer_action_timeout=timedelta(seconds=settings().customer_action_seconds),
    )


@cache
def order_service() -> OrderService:
    from commerce.clock import system_clock
    from commerce.orders.service import OrderService

    return OrderService(
        orders=_order_repository(),
        steps=fulfilment_steps(),
        clock=system_clock,
        wallet=wallet_service() if settings().wallet_table else None,
    )


@cache
def checkout_service() -> CheckoutService:
    from datetime import timedelta

    from commerce.adapters.dynamodb_carts import DynamoDBCartRepository
    from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository
    from commerce.adapters.dynamodb_users import DynamoDBUserRepository
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
        workflow=_workflow(),
        payment_kinds=payment_providers().kinds,
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


# ---------------------------------------------------------------------- search and recommendations
@cache
def recommendation_service() -> RecommendationService:
    from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository
    from commerce.adapters.dynamodb_recommendations import DynamoDBRecommendationStore
    from commerce.clock import system_clock
    from commerce.recommendations.service import RecommendationService

    config = settings()
    dynamodb = _client("dynamodb")
    return RecommendationService(
        store=DynamoDBRecommendationStore(dynamodb, config.require("recommendations_table")),
        products=DynamoDBProductRepository(dynamodb, config.require("products_table")),
        clock=system_clock,
    )


@cache
def access_tokens() -> CognitoAccessTokens:
    from commerce.adapters.cognito_tokens import CognitoAccessTokens

    config = settings()
    issuer = f"https://cognito-idp.{config.region}.amazonaws.com/{config.require('user_pool_id')}"
    return CognitoAccessTokens(issuer, config.require("user_pool_client_id"), config.cognito_jwks_url)


@cache
def search_backend() -> SearchBackend:
    """OpenSearch when an endpoint is configured; otherwise the embedded engine, whose index
    lives in this process (right for the local cloud, where every function shares one)."""
    config = settings()
    if config.opensearch_endpoint:
        from commerce.adapters.opensearch_search import OpenSearchSearch, opensearch_client

        return OpenSearchSearch(
            opensearch_client(config.opensearch_endpoint, config.region), index_name=config.search_index
        )
    try:
        from commerce.adapters.tantivy_search import TantivySearch
    except ImportError as error:  # tantivy is a development dependency, not in the layer
        raise ConfigurationError(
            "OPENSEARCH_ENDPOINT is not set, and the embedded search engine is for local runs only."
        ) from error
    return TantivySearch()


@cache
def search_service() -> SearchService:
    from commerce.search.service import SearchService

    config = settings()
    return SearchService(
        backend=search_backend(),
        active_products=catalog_service().active_products,
        category_tree=catalog_service().category_tree,
        affinity_of=recommendation_service().affinity if config.recommendations_table else None,
    )


@cache
def search_indexer() -> SearchIndexer:
    from commerce.search.service import SearchIndexer

    return SearchIndexer(backend=search_backend(), category_tree=catalog_service().category_tree)


# ---------------------------------------------------------------------- notifications, reviews, images, jobs
# (each builder is added here, and listed in reset() below)
@cache
def image_upload_service() -> ImageUploadService:
    from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository
    from commerce.adapters.dynamodb_image_uploads import DynamoDBImageUploads
    from commerce.adapters.s3_images import S3UploadForms
    from commerce.clock import system_clock
    from commerce.images.service import ImageUploadService

    config = settings()
    dynamodb = _client("dynamodb")
    products_table = config.require("products_table")
    return ImageUploadService(
        uploads=DynamoDBImageUploads(dynamodb, config.require("image_uploads_table"), products_table),
        forms=S3UploadForms(_form_signer(), config.require("uploads_bucket"), config.uploads_form_url),
        products=DynamoDBProductRepository(dynamodb, products_table),
        clock=system_clock,
    )


@cache
def _form_signer() -> Any:
    """S3 presigns with Signature V2 unless told otherwise, which buckets made since 2020 refuse."""
    import boto3
    from botocore.config import Config

    with _client_lock:
        return boto3.session.Session().client(
            "s3", region_name=settings().region, config=Config(signature_version="s3v4")
        )


@cache
def image_processor() -> ImageProcessor:
    """Pillow is imported here, so only the processor pays for it at cold start."""
    from commerce.adapters.dynamodb_image_uploads import DynamoDBImageUploads
    from commerce.adapters.pillow_images import PillowRenderer
    from commerce.adapters.s3_images import S3ImageStore
    from commerce.clock import system_clock
    from commerce.images.service import ImageProcessor

    config = settings()
    return ImageProcessor(
        uploads=DynamoDBImageUploads(
            _client("dynamodb"), config.require("image_uploads_table"), config.require("products_table")
        ),
        store=S3ImageStore(_client("s3"), config.require("uploads_bucket"), config.require("images_bucket")),
        renderer=PillowRenderer(),
        clock=system_clock,
        images_base_url=config.require("images_base_url").rstrip("/"),
    )


@cache
def notifier() -> Notifier:
    """Email through SES and text messages through SNS, from the configured sender address."""
    from commerce.adapters.aws_notifier import SesSnsNotifier

    return SesSnsNotifier(_client("ses"), _client("sns"), settings().require("notification_sender"))


@cache
def notification_service() -> NotificationService:
    from commerce.adapters.dynamodb_notifications import (
        DynamoDBCatalogue,
        DynamoDBDeliveryLedger,
        DynamoDBRecipients,
        DynamoDBWatchRepository,
    )
    from commerce.clock import system_clock
    from commerce.notifications.service import NotificationService

    config = settings()
    dynamodb = _client("dynamodb")
    table = config.require("notifications_table")
    return NotificationService(
        notifier=notifier(),
        recipients=DynamoDBRecipients(dynamodb, config.require("users_table")),
        catalogue=DynamoDBCatalogue(dynamodb, config.require("products_table")),
        ledger=DynamoDBDeliveryLedger(dynamodb, table),
        watches=DynamoDBWatchRepository(dynamodb, table),
        clock=system_clock,
    )


@cache
def watch_service() -> WatchService:
    from commerce.adapters.dynamodb_notifications import DynamoDBCatalogue, DynamoDBWatchRepository
    from commerce.clock import system_clock
    from commerce.notifications.service import WatchService

    config = settings()
    dynamodb = _client("dynamodb")
    return WatchService(
        watches=DynamoDBWatchRepository(dynamodb, config.require("notifications_table")),
        catalogue=DynamoDBCatalogue(dynamodb, config.require("products_table")),
        clock=system_clock,
    )


@cache
def review_service() -> ReviewService:
    from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository
    from commerce.adapters.dynamodb_orders import DynamoDBOrderRepository
    from commerce.adapters.dynamodb_reviews import DynamoDBReviewRepository
    from commerce.clock import system_clock
    from commerce.reviews.service import ReviewService

    config = settings()
    dynamodb = _client("dynamodb")
    products_table = config.require("products_table")
    return ReviewService(
        reviews=DynamoDBReviewRepository(dynamodb, config.require("reviews_table"), products_table),
        products=DynamoDBProductRepository(dynamodb, products_table),
        orders=DynamoDBOrderRepository(dynamodb, config.require("orders_table")),
        clock=system_clock,
    )


@cache
def cart_reminders() -> CartReminders:
    from commerce.adapters.dynamodb_carts import DynamoDBCartRepository
    from commerce.adapters.dynamodb_job_markers import DynamoDBReminderLog
    from commerce.adapters.dynamodb_users import DynamoDBUserRepository
    from commerce.clock import system_clock
    from commerce.reminders.service import CartReminders

    config = settings()
    dynamodb = _client("dynamodb")
    return CartReminders(
        carts=DynamoDBCartRepository(dynamodb, config.require("carts_table")),
        users=DynamoDBUserRepository(dynamodb, config.require("users_table")),
        log=DynamoDBReminderLog(dynamodb, config.require("notifications_table")),
        notifier=notifier(),
        clock=system_clock,
    )


@cache
def seller_sales_reports() -> SellerSalesReports:
    from commerce.adapters.dynamodb_job_markers import DynamoDBReportMailLog
    from commerce.adapters.dynamodb_orders import DynamoDBOrderRepository
    from commerce.adapters.dynamodb_users import DynamoDBUserRepository
    from commerce.adapters.s3_reports import S3ReportStore
    from commerce.clock import system_clock
    from commerce.reports.service import SellerSalesReports

    config = settings()
    dynamodb = _client("dynamodb")
    return SellerSalesReports(
        orders=DynamoDBOrderRepository(dynamodb, config.require("orders_table")),
        store=S3ReportStore(_client("s3"), config.require("reports_bucket")),
        users=DynamoDBUserRepository(dynamodb, config.require("users_table")),
        log=DynamoDBReportMailLog(dynamodb, config.require("notifications_table")),
        notifier=notifier(),
        clock=system_clock,
    )


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
        payment_providers,
        wallet_payments,
        _secrets,
        payment_webhooks,
        fulfilment_steps,
        order_service,
        checkout_service,
        order_event_publisher,
        payment_reconciliation,
        access_tokens,
        recommendation_service,
        search_backend,
        search_service,
        search_indexer,
        image_upload_service,
        _form_signer,
        image_processor,
        notifier,
        notification_service,
        watch_service,
        review_service,
        cart_reminders,
        seller_sales_reports,
    ):
        built.cache_clear()


@cache
def payment_reconciliation() -> PaymentReconciliation:
    from commerce.adapters.dynamodb_orders import DynamoDBOrderRepository
    from commerce.adapters.dynamodb_reconciliation import DynamoDBReconciliationReports
    from commerce.adapters.eventbridge import EventBridgePublisher
    from commerce.clock import system_clock
    from commerce.payments.reconciliation import PaymentReconciliation

    config = settings()
    dynamodb = _client("dynamodb")
    return PaymentReconciliation(
        orders=DynamoDBOrderRepository(dynamodb, config.require("orders_table")),
        providers=payment_providers(),
        reports=DynamoDBReconciliationReports(dynamodb, config.require("orders_table")),
        events=EventBridgePublisher(_client("events"), config.require("event_bus_name")),
        clock=system_clock,
    )
