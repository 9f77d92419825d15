"""commerce-admin: the operators' command line.

It finds the platform through the CloudFormation stack's outputs, gives itself the environment the
functions get and calls the same domain services through ``commerce.bootstrap`` (as an admin), so
an operator's refund or stock adjustment takes exactly the path the API's does. Jobs are invoked on
the jobs function, where they run in production. The same code works on AWS (``--profile``,
``--region``) and on the local stack (``--endpoint-url http://127.0.0.1:4566`` while ``make run``
runs).

Every failure is one clear message on stderr and exit code 1 (2 for a mistyped command line);
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from typer.core import TyperGroup
from typer.exceptions import TyperException

from commerce.identity import Principal, Role
from commerce_admin.jobs import JobFailed, UnknownJob, run_job
from commerce_admin.orders import customer_orders, recent_orders
from commerce_admin.outbox import OutboxUnavailable, read_outbox
from commerce_admin.products import ImportFileError, ProductImport, plan, read_rows, validate
from commerce_admin.render import (
    account_table,
    emails_table,
    import_outcomes_table,
    order_detail,
    orders_table,
    problems_table,
    stock_table,
    texts_table,
)
from commerce_admin.stack import Stack, StackError, Target, apply_stack, describe_stack, prepare_environment

__all__ = ["app"]

_Model = TypeVar("_Model", bound=BaseModel)

#: The local stack's region, assumed with --endpoint-url when none is configured.
LOCAL_REGION = "us-east-1"

# ---------------------------------------------------------------------------------------------- plumbing


@dataclass
class Admin:
    """One invocation: where it works, where it writes, and what it found (lazily: ``outbox`` and
    ``--help`` need no stack)."""

    target: Target
    out: Console
    err: Console
    debug: bool = False
    _stack: Stack | None = field(default=None, repr=False)
    _principal: Principal | None = field(default=None, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def stack(self) -> Stack:
        if self._stack is None:
            import boto3

            changed = prepare_environment(self.target)
            region = boto3.session.Session().region_name
            if not region and self.target.endpoint_url:
                region = LOCAL_REGION
            if not region:
                raise StackError("No AWS region: pass --region, or set one in your AWS profile.")
            cloudformation = boto3.session.Session().client("cloudformation", region_name=region)
            stack = describe_stack(cloudformation, self.target.stack, region)
            if apply_stack(stack) or changed:
                from commerce import bootstrap

                # Forget anything built for the environment before (only when sharing a process, in tests).
                bootstrap.reset()
            self._stack = stack
        return self._stack

    def client(self, service: str) -> Any:
        """A boto3 client for the stack's account (after ``stack()`` set the environment)."""
        stack = self.stack()
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            # Jobs run up to the function's 15 minutes; a retried invoke would run a job twice.
            config = (
                Config(read_timeout=910, retries={"total_max_attempts": 1}) if service == "lambda" else None
            )
            self._clients[service] = boto3.session.Session().client(
                service,  # type: ignore[call-overload]
                region_name=stack.region,
                config=config,
            )
        return self._clients[service]

    def principal(self) -> Principal:
        """The operator as the services see them: an admin named after their AWS identity, so stock
        movements and refunds record who made them."""
        if self._principal is None:
            arn = self.client("sts").get_caller_identity()["Arn"]
            self._principal = Principal(user_id=f"operator:{arn}", roles=frozenset({Role.ADMIN}))
        return self._principal


def _admin(ctx: typer.Context) -> Admin:
    admin = ctx.find_root().obj
    assert isinstance(admin, Admin)
    return admin


def _explain(error: Exception) -> list[str]:
    """What went wrong, for an operator: first line the gist, then details."""
    from commerce.errors import CommerceError

    if isinstance(error, CommerceError):
        lines = [f"{error.code}: {error.detail}"]
        lines += [f"  {problem.field}: {problem.message}" for problem in error.errors]
        lines += [f"  {key}: {value}" for key, value in error.extra.items()]
        return lines
    if isinstance(error, UnknownJob):
        known = ", ".join(error.known) if error.known else "(the function did not say)"
        return [f"No job named {error.job!r}.", f"  jobs: {known}"]
    if isinstance(error, StackError | ImportFileError | OutboxUnavailable | JobFailed):
        return [str(error)]
    if isinstance(error, NoCredentialsError):
        return ["No AWS credentials: pass --profile, or configure credentials (aws configure)."]
    if isinstance(error, NoRegionError):
        return ["No AWS region: pass --region, or set one in your AWS profile."]
    if isinstance(error, EndpointConnectionError):
        return [
            f"Cannot reach {error.kwargs.get('endpoint_url')}: for the local stack, is `make run` running?"
        ]
    if isinstance(error, ProfileNotFound | BotoCoreError):
        return [str(error)]
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return [f"AWS refused {error.operation_name}: {details.get('Code')}: {details.get('Message')}"]
    return [f"Unexpected {type(error).__name__}: {error}", "  run again with --debug to see the traceback"]


class _AdminGroup(TyperGroup):
    """Turns any failure of a command into one message and exit code 1 (never a traceback)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # exits and usage errors: typer reports them itself
        except Exception as error:
            admin = ctx.obj if isinstance(ctx.obj, Admin) else None
            if admin is not None and admin.debug:
                raise
            console = admin.err if admin is not None else Console(stderr=True)
            gist, *details = _explain(error)
            console.print(f"[bold red]Error:[/] {escape(gist)}", highlight=False)
            for line in details:
                console.print(escape(line), highlight=False)
            raise typer.Exit(1) from None


def _fail(admin: Admin, message: str, code: int = 1) -> NoReturn:
    admin.err.print(f"[bold red]Error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _checked(model: type[_Model], body: dict[str, Any], options: dict[str, str]) -> _Model:
    """Validate with the API's request model, naming the CLI's options in the problems."""
    from commerce.errors import FieldError, InvalidInput

    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = [
            FieldError(options.get(str(detail["loc"][0]), ".".join(map(str, detail["loc"]))), detail["msg"])
            for detail in error.errors()
        ]
        raise InvalidInput("Some options are invalid.", code="validation_failed", errors=problems) from None


app = typer.Typer(
    cls=_AdminGroup,
    name="commerce-admin",
    help="Operate the commerce platform: admins, sellers, products, orders, stock and jobs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
admins = typer.Typer(help="Admin accounts.", no_args_is_help=True)
sellers = typer.Typer(
    help="Seller approval (template parameter SellerApproval=manual).", no_args_is_help=True
)
products = typer.Typer(help="The catalogue.", no_args_is_help=True)
search = typer.Typer(help="The search index.", no_args_is_help=True)
orders = typer.Typer(help="Orders: look up, cancel, refund.", no_args_is_help=True)
stock = typer.Typer(help="Inventory.", no_args_is_help=True)
jobs = typer.Typer(help="Scheduled jobs, run now.", no_args_is_help=True)
for group, name in (
    (admins, "admins"),
    (sellers, "sellers"),
    (products, "products"),
    (search, "search"),
    (orders, "orders"),
    (stock, "stock"),
    (jobs, "jobs"),
):
    app.add_typer(group, name=name)


@app.callback()
def main(
    ctx: typer.Context,
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: the usual AWS lookup).")] = None,
    region: Annotated[str | None, typer.Option(help="AWS region (default: the profile's).")] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            help="Send every AWS call here; the local stack: http://127.0.0.1:4566 (make run).",
        ),
    ] = None,
    stack_name: Annotated[str, typer.Option("--stack", help="CloudFormation stack name.")] = "commerce",
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of short messages.")
    ] = False,
) -> None:
    """Finds the platform through the stack's outputs; for the local stack pass --endpoint-url."""
    ctx.obj = Admin(
        target=Target(stack=stack_name, profile=profile, region=region, endpoint_url=endpoint_url or None),
        out=Console(highlight=False),
        err=Console(stderr=True, highlight=False),
        debug=debug,
    )


# ---------------------------------------------------------------------------------------------- accounts
def _password() -> str:
    """20 random characters meeting the pool's policy (upper, lower, digit, symbol)."""
    symbols = "!#%+-=?@^_"
    alphabet = string.ascii_letters + string.digits + symbols
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(20))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(c in symbols for c in candidate)
        ):
            return candidate


@admins.command("create")
def create_admin(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The admin's email (their sign-in name).")],
    name: Annotated[str, typer.Option("--name", help="Their display name.")],
    password: Annotated[
        str | None,
        typer.Option(help="Their password; omitted: a strong one is generated and printed once."),
    ] = None,
) -> None:
    """Create an admin: a Cognito user in the admin group, and a profile."""
    from commerce.api.schemas.accounts import RegisterRequest
    from commerce.bootstrap import account_service

    admin = _admin(ctx)
    chosen = password or _password()
    checked = _checked(
        RegisterRequest,
        {"email": email, "password": chosen, "name": name},
        {"email": "EMAIL", "password": "--password", "name": "--name"},
    )
    admin.stack()
    profile = account_service().create_admin(admin.principal(), checked.email, checked.name, chosen)
    admin.out.print(account_table(profile, "Admin created"))
    if password is None:
        admin.out.print(f"Password (shown once, store it safely): {escape(chosen)}")


@sellers.command("approve")
def approve_seller(
    ctx: typer.Context, email: Annotated[str, typer.Argument(help="The seller's email or user id.")]
) -> None:
    """Let a seller sign in (and list products)."""
    from commerce.bootstrap import account_service

    admin = _admin(ctx)
    admin.stack()
    profile = account_service().approve_seller(admin.principal(), email)
    admin.out.print(account_table(profile, "Seller approved"))


@sellers.command("disable")
def disable_seller(
    ctx: typer.Context, email: Annotated[str, typer.Argument(help="The seller's email or user id.")]
) -> None:
    """Stop a seller from signing in, and sign them out everywhere."""
    from commerce.bootstrap import account_service

    admin = _admin(ctx)
    admin.stack()
    profile = account_service().disable_seller(admin.principal(), email)
    admin.out.print(account_table(profile, "Seller disabled"))
    admin.out.print(
        "Their products stay listed (archive them separately if they must go). Access tokens already "
        "issued stay valid until they expire (at most an hour); refresh tokens are revoked."
    )


@sellers.command("show")
def show_seller(
    ctx: typer.Context, email: Annotated[str, typer.Argument(help="The seller's email or user id.")]
) -> None:
    """An account and, for a seller, its approval status."""
    from commerce.bootstrap import account_service

    admin = _admin(ctx)
    admin.stack()
    admin.out.print(account_table(account_service().account(admin.principal(), email), "Account"))


# ---------------------------------------------------------------------------------------------- products
def _category_resolver() -> Callable[[str], str]:
    from commerce.bootstrap import catalog_service

    categories = catalog_service().categories.all()
    by_id = {category.category_id for category in categories}
    by_slug: dict[str, list[str]] = {}
    for category in categories:
        by_slug.setdefault(category.slug, []).append(category.category_id)

    def resolve(value: str) -> str:
        if value in by_id:
            return value
        matches = by_slug.get(value.lower(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise LookupError(f"the slug {value!r} names {len(matches)} categories; use the category id")
        raise LookupError(f"no category has the id or slug {value!r}")

    return resolve


def _seller_resolver(admin: Admin) -> Callable[[str], str]:
    from commerce.accounts.model import SellerStatus
    from commerce.bootstrap import account_service
    from commerce.errors import NotFound

    known: dict[str, str | LookupError] = {}

    def look_up(value: str) -> str | LookupError:
        try:
            profile = account_service().account(admin.principal(), value)
        except NotFound:
            return LookupError(f"no account has the email or id {value!r}")
        if profile.account_type is not Role.SELLER:
            return LookupError(f"{value} is a {profile.account_type.value} account, not a seller")
        if profile.seller_status is SellerStatus.DISABLED:
            return LookupError(f"the seller {value} is disabled")
        return profile.user_id

    def resolve(value: str) -> str:
        key = value.lower()
        if key not in known:
            known[key] = look_up(value)
        found = known[key]
        if isinstance(found, LookupError):
            raise found
        return found

    return resolve


@products.command("import")
def import_products(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="CSV (header: name,description,price_amount,currency,category,seller[,stock]) "
            "or a JSON array of objects with those keys. price_amount is in minor units (1999 = 19.99); "
            "category is an id or slug, seller an email or id.",
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; change nothing.")] = False,
    all_or_nothing: Annotated[
        bool,
        typer.Option(
            "--all-or-nothing", help="Import nothing if any row is invalid; undo this run on a failure."
        ),
    ] = False,
) -> None:
    """Import products, skipping (idempotently) those the seller already lists under that name."""
    from commerce.bootstrap import catalog_service, inventory_service

    admin = _admin(ctx)
    rows = read_rows(file)
    admin.stack()
    good, problems = validate(rows, _category_resolver(), _seller_resolver(admin))
    if problems:
        invalid = len({problem.line for problem in problems})
        admin.out.print(problems_table(problems, f"{invalid} invalid row(s), not imported"))
    if problems and all_or_nothing:
        _fail(admin, "Nothing imported (--all-or-nothing): fix the rows above and run again.")
    work = plan(catalog_service(), good)
    if dry_run:
        summary = Table(title="Dry run: nothing was changed", show_header=False)
        summary.add_row("would create", str(len(work.create)))
        summary.add_row("already listed (skipped)", str(len(work.existing)))
        summary.add_row("invalid rows", str(len({problem.line for problem in problems})))
        admin.out.print(summary)
        if problems:
            raise typer.Exit(1)
        return
    importer = ProductImport(catalog_service(), inventory_service(), admin.principal())
    total = len(work.create) + len(work.existing)
    with Progress(
        TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), console=admin.err, transient=True
    ) as progress:
        task = progress.add_task("import", total=total)
        outcomes = list(importer.run(work, all_or_nothing, advance=lambda: progress.advance(task)))
    counts = {
        action: sum(1 for o in outcomes if o.action == action)
        for action in ("created", "stocked", "skipped", "failed", "rolled_back")
    }
    if outcomes:
        admin.out.print(import_outcomes_table(outcomes, "Import"))
    admin.out.print(
        f"created {counts['created']}, stock set {counts['stocked']}, already listed {counts['skipped']}, "
        f"failed {counts['failed']}, invalid rows {len({p.line for p in problems})}"
        + (f", rolled back {counts['rolled_back']}" if counts["rolled_back"] else "")
    )
    if problems or counts["failed"]:
        raise typer.Exit(1)


@search.command("reindex")
def reindex(ctx: typer.Context) -> None:
    """Rebuild the search index from the products table (the jobs function's reindex_search)."""
    admin = _admin(ctx)
    result = run_job(admin.client("lambda"), admin.stack().output("JobsFunctionName"), "reindex_search")
    admin.out.print(f"Search index rebuilt: {result.summary.get('indexed', '?')} products indexed.")


# ---------------------------------------------------------------------------------------------- orders
@orders.command("list")
def list_orders(
    ctx: typer.Context,
    customer: Annotated[
        str | None, typer.Option(help="Only this customer's (email or user id); an index query.")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="pending, confirmed, shipped, delivered or cancelled.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first.")] = 20,
) -> None:
    """Newest orders first. Without --customer this reads the whole orders table (a Scan)."""
    from commerce.bootstrap import account_service, order_service
    from commerce.orders.model import OrderStatus

    admin = _admin(ctx)
    wanted = None
    if status is not None:
        try:
            wanted = OrderStatus(status.strip().lower())
        except ValueError:
            _fail(admin, f"Unknown status {status!r}: one of {', '.join(s.value for s in OrderStatus)}.")
    stack = admin.stack()
    repository = order_service().orders
    if customer is not None:
        who = account_service().account(admin.principal(), customer)
        found = customer_orders(repository, who.user_id, limit, wanted)
        title = f"Orders of {who.email}"
    else:
        table = stack.output("OrdersTable")
        found = recent_orders(admin.client("dynamodb"), table, repository, limit, wanted)
        title = "Newest orders"
    if not found:
        admin.out.print("No orders.")
        return
    admin.out.print(orders_table(found, f"{title} ({len(found)})"))


@orders.command("show")
def show_order(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="The order's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="The API's JSON shape instead of tables.")] = False,
) -> None:
    """One order: lines, totals, payment and refunds."""
    from commerce.api.schemas.orders import OrderOut
    from commerce.bootstrap import order_service

    admin = _admin(ctx)
    admin.stack()
    order = order_service().view(admin.principal(), order_id.strip())
    if as_json:
        typer.echo(OrderOut.of(order).model_dump_json(indent=2))
        return
    for table in order_detail(order):
        admin.out.print(table)


@orders.command("cancel")
def cancel_order(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="The order's id.")],
    reason: Annotated[str, typer.Option(help="Why (kept on the order as the cancellation's detail).")],
) -> None:
    """Cancel before anything shipped: stock goes back on sale, the money back to the customer."""
    from commerce.bootstrap import order_service

    admin = _admin(ctx)
    text = reason.strip()
    if not 1 <= len(text) <= 200:
        _fail(admin, "--reason is 1 to 200 characters.")
    admin.stack()
    order = order_service().cancel(admin.principal(), order_id.strip(), detail=text)
    for table in order_detail(order)[:1]:
        admin.out.print(table)
    admin.out.print(f"Order {order.order_id} is {order.status.value}.")


@orders.command("refund")
def refund_order(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="The order's id.")],
    reason: Annotated[str, typer.Option(help="Why (kept on the refund).")],
    amount: Annotated[
        int | None,
        typer.Option(help="In the order's currency's minor units (1999 = 19.99); omitted: all that is left."),
    ] = None,
    to: Annotated[str, typer.Option("--to", help="original (the method that paid) or wallet.")] = "original",
    key: Annotated[
        str | None,
        typer.Option(help="The refund's idempotency key: repeat one to finish an interrupted refund."),
    ] = None,
) -> None:
    """Refund all or part of what was captured, to the original method or as wallet credit."""
    import uuid

    from commerce.api.schemas.payments import RefundIn
    from commerce.bootstrap import order_service
    from commerce.errors import DependencyFailure
    from commerce.orders.model import RefundDestination

    admin = _admin(ctx)
    admin.stack()
    service = order_service()
    order = service.view(admin.principal(), order_id.strip())
    body: dict[str, Any] = {"destination": to, "reason": reason}
    if amount is not None:
        body["amount"] = {"amount": amount, "currency": order.currency}
    request = _checked(RefundIn, body, {"amount": "--amount", "destination": "--to", "reason": "--reason"})
    refund_key = key or f"cli-{uuid.uuid4()}"
    try:
        refunded = service.refund(
            admin.principal(),
            order.order_id,
            refund_key,
            request.amount.to_domain() if request.amount else None,
            RefundDestination(request.destination),
            request.reason,
        )
    except DependencyFailure as error:
        _fail(
            admin, f"{error.code}: {error.detail} The refund is recorded: finish it with --key {refund_key}"
        )
    refund = refunded.payment.refund(refund_key)
    assert refund is not None
    admin.out.print(
        f"Refunded {refund.amount} to {refund.destination.value} ({refund.status.value}); "
        f"key {escape(refund_key)}. Left to refund: {refunded.refundable}."
    )


# ---------------------------------------------------------------------------------------------- stock
@stock.command("adjust")
def adjust_stock(
    ctx: typer.Context,
    product_id: Annotated[str, typer.Argument(help="The product's id.")],
    delta: Annotated[int, typer.Option(help="Units: positive restocks, negative writes off.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the stock ledger).")],
    warehouse: Annotated[str | None, typer.Option(help="Warehouse id (default: main).")] = None,
) -> None:
    """Restock or write off units of one warehouse, recorded in the stock ledger."""
    from commerce.api.schemas.inventory import AdjustmentRequest
    from commerce.bootstrap import inventory_service

    admin = _admin(ctx)
    request = _checked(
        AdjustmentRequest,
        {"delta": delta, "reason": reason, "warehouse_id": warehouse},
        {"delta": "--delta", "reason": "--reason", "warehouse_id": "--warehouse"},
    )
    admin.stack()
    level = inventory_service().adjust(
        admin.principal(), product_id.strip(), request.delta, request.reason, request.warehouse_id
    )
    admin.out.print(stock_table(level))


@stock.command("show")
def show_stock(
    ctx: typer.Context,
    product_id: Annotated[str, typer.Argument(help="The product's id.")],
    movements: Annotated[
        int, typer.Option(min=0, max=100, help="Also list this many latest movements.")
    ] = 10,
) -> None:
    """A product's stock per warehouse and its latest ledger entries."""
    from commerce.bootstrap import inventory_service

    admin = _admin(ctx)
    admin.stack()
    service = inventory_service()
    level = service.level(product_id.strip())
    admin.out.print(stock_table(level))
    if movements:
        ledger = Table(title="Latest movements")
        for column in ("at", "kind", "warehouse", "available", "reserved", "sold", "reason", "by"):
            ledger.add_column(column)
        for movement in service.history(admin.principal(), level.product_id, movements):
            ledger.add_row(
                movement.at.strftime("%Y-%m-%d %H:%M:%S"),
                movement.kind.value,
                movement.warehouse_id,
                f"{movement.delta_available:+d}",
                f"{movement.delta_reserved:+d}",
                f"{movement.delta_sold:+d}",
                escape(movement.reason or ""),
                escape(movement.actor or movement.order_id or ""),
            )
        admin.out.print(ledger)


# ---------------------------------------------------------------------------------------------- jobs
@jobs.command("run")
def run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The job, e.g. reconcile_payments, refresh_trending.")],
    day: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="For jobs that work on a day (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Run a job now, on the jobs function (as its schedule would), and show its summary."""
    admin = _admin(ctx)
    function = admin.stack().output("JobsFunctionName")
    on: date | None = day.date() if day is not None else None
    result = run_job(admin.client("lambda"), function, name.strip(), on)
    summary = Table(title=f"Job {result.job} finished", show_header=False)
    summary.add_column("key", style="bold")
    summary.add_column("value")
    for key, value in result.summary.items():
        summary.add_row(escape(str(key)), escape(str(value)))
    admin.out.print(summary)


# ---------------------------------------------------------------------------------------------- outbox
@app.command("outbox")
def outbox(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="The latest this many of each.")] = 20,
    bodies: Annotated[bool, typer.Option("--bodies", help="Show the emails' bodies.")] = False,
) -> None:
    """Local stack only: the emails and texts the platform "sent" (moto's SES and SNS keep them)."""
    admin = _admin(ctx)
    if not admin.target.endpoint_url:
        _fail(admin, "outbox reads the local stack: pass --endpoint-url http://127.0.0.1:4566 (make run).")
    sent = read_outbox(admin.target.endpoint_url, limit)
    admin.out.print(emails_table(sent["emails"], bodies) if sent["emails"] else "No emails sent.")
    admin.out.print(texts_table(sent["texts"]) if sent["texts"] else "No texts sent.")
