"""commerce-admin against the local cloud: each command's success and failure paths, in-process
(moto intercepts boto3, so no --endpoint-url), and once out of process through the AWS endpoint
`make run` serves, as an operator runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner, Result

from commerce_admin.cli import app
from localcloud import LocalCloud, hooks
from localcloud.endpoint import AwsEndpoint
from support import PASSWORD, Actor, checkout, fill_cart, settled

ROOT = Path(__file__).resolve().parents[2]


def admin_cli(*args: str) -> Result:
    """commerce-admin in this process (the same moto as the cloud fixture's), wide enough for ids."""
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


def succeeded(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def failed(result: Result) -> str:
    """A failure is a message on stderr and exit code 1, never a traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.stderr


def table_rows(out: str) -> list[list[str]]:
    """The cells of every row of the rich tables printed."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in out.splitlines()
        if "│" in line
    ]


def sign_in(cloud: LocalCloud, email: str, password: str = PASSWORD) -> Any:
    return cloud.request("POST", "/v1/auth/login", json={"email": email, "password": password})


# ---------------------------------------------------------------------------------------------- stack
def test_an_unknown_stack_is_a_clear_error(cloud: LocalCloud) -> None:
    stderr = failed(admin_cli("--stack", "nope", "stock", "show", "01J00000000000000000000000"))

    assert "There is no stack named 'nope'" in stderr


def test_a_mistyped_command_line_is_a_usage_error() -> None:
    result = admin_cli("orders", "frobnicate")

    assert result.exit_code == 2
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------- admins
def test_admins_create_makes_an_admin_who_can_sign_in_and_act_as_one(cloud: LocalCloud) -> None:
    out = succeeded(
        admin_cli("admins", "create", "Root@Example.com", "--name", "Root", "--password", PASSWORD)
    )

    assert "root@example.com" in out and "admin" in out
    login = sign_in(cloud, "root@example.com")
    assert login.status == 200, login.text
    created = cloud.request(
        "POST", "/v1/categories", json={"name": "Garden"}, token=login.json()["access_token"]
    )
    assert created.status == 201, created.text


def test_admins_create_without_a_password_prints_a_working_generated_one(cloud: LocalCloud) -> None:
    out = succeeded(admin_cli("admins", "create", "ops@example.com", "--name", "Ops"))

    password = out.split("store it safely):", 1)[1].split()[0]
    assert sign_in(cloud, "ops@example.com", password).status == 200


def test_admins_create_refuses_a_taken_email_or_a_weak_password(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    customer = actor("customer")

    taken = failed(admin_cli("admins", "create", customer.email, "--name", "X", "--password", PASSWORD))
    weak = failed(admin_cli("admins", "create", "new@example.com", "--name", "X", "--password", "weakling"))
    invalid = failed(admin_cli("admins", "create", "not-an-email", "--name", "X"))

    assert "email_taken" in taken
    assert "invalid_password" in weak
    assert "validation_failed" in invalid and "EMAIL" in invalid
    assert sign_in(cloud, "new@example.com", "weakling").status == 401


# ---------------------------------------------------------------------------------------------- sellers
@pytest.fixture
def manual_approval(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack as deployed with SellerApproval=manual (the functions read it from their environment)."""
    from commerce import bootstrap

    monkeypatch.setenv("SELLER_APPROVAL", "manual")
    bootstrap.reset()


def register_seller(cloud: LocalCloud, email: str) -> Any:
    return cloud.request(
        "POST",
        "/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Shop", "account_type": "seller"},
    )


def test_with_manual_approval_a_seller_signs_in_only_once_approved(
    cloud: LocalCloud, manual_approval: None
) -> None:
    assert register_seller(cloud, "shop@example.com").status == 201

    pending = sign_in(cloud, "shop@example.com")
    assert pending.status == 403, pending.text
    assert pending.json()["code"] == "seller_pending_approval"
    assert "pending_approval" in succeeded(admin_cli("sellers", "show", "shop@example.com"))

    out = succeeded(admin_cli("sellers", "approve", "shop@example.com"))

    assert "approved" in out
    approved = sign_in(cloud, "shop@example.com")
    assert approved.status == 200, approved.text
    assert cloud.request("GET", "/v1/me", token=approved.json()["access_token"]).status == 200


def test_a_disabled_seller_cannot_sign_in_or_refresh_and_their_products_stay(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    seller = actor("seller")
    product = listed(seller=seller)
    refresh_token = sign_in(cloud, seller.email).json()["refresh_token"]

    out = succeeded(admin_cli("sellers", "disable", seller.email))

    assert "disabled" in out and "products stay listed" in out
    refused = sign_in(cloud, seller.email)
    assert refused.status == 403 and refused.json()["code"] == "account_disabled"
    assert cloud.request("POST", "/v1/auth/refresh", json={"refresh_token": refresh_token}).status == 401
    assert cloud.request("GET", f"/v1/products/{product['product_id']}").status == 200
    # And back again.
    succeeded(admin_cli("sellers", "approve", seller.user_id))
    assert sign_in(cloud, seller.email).status == 200


def test_only_sellers_are_approved_and_unknown_accounts_are_named(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    customer = actor("customer")

    assert "not_a_seller" in failed(admin_cli("sellers", "approve", customer.email))
    assert "user_not_found" in failed(admin_cli("sellers", "disable", "nobody@example.com"))


# ---------------------------------------------------------------------------------------------- products
def seller_products(cloud: LocalCloud, seller: Actor) -> dict[str, dict[str, Any]]:
    response = cloud.request("GET", f"/v1/products?seller={seller.user_id}&limit=50")
    assert response.status == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


def available(cloud: LocalCloud, product_id: str) -> int:
    return int(cloud.request("GET", f"/v1/inventory/{product_id}").json()["available"])


def test_products_import_reports_bad_rows_by_line_and_imports_the_good_ones_once(
    cloud: LocalCloud,
    actor: Callable[..., Actor],
    category: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    audio = category("Audio")
    seller = actor("seller")
    customer = actor("customer")
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(
        "name,description,price_amount,currency,category,seller,stock\n"
        f"Aurora Earbuds,Wireless,7999,USD,audio,{seller.email},12\n"
        f'"Borealis Speaker","Loud,\nand clear",12999,USD,{audio["category_id"]},{seller.user_id},\n'
        f"No Price,,,USD,audio,{seller.email},1\n"
        f"Funny Money,,100,XXX,audio,{seller.email},1\n"
        f"Lost,,100,USD,garden,{seller.email},1\n"
        f"Nobody's,,100,USD,audio,nobody@example.com,1\n"
        f"Customer's,,100,USD,audio,{customer.email},1\n"
        f"Negative,,100,USD,audio,{seller.email},-3\n"
        f"aurora earbuds,again,7999,USD,audio,{seller.email},1\n"
    )

    result = admin_cli("products", "import", str(csv_file))

    out = failed(result) and result.stdout
    # Line numbers are the file's: the quoted description of line 3 spans two lines.
    for line, reason in [
        ("5", "price_amount"),
        ("6", "currency"),
        ("7", "no category has the id or slug 'garden'"),
        ("8", "no account has the email or id 'nobody@example.com'"),
        ("9", "not a seller"),
        ("10", "stock"),
        ("11", "the same product as line 2"),
    ]:
        assert any(row[0] == line and reason in " ".join(row) for row in table_rows(out)), (line, reason, out)
    assert "created 2" in out and "invalid rows 7" in out
    listed = seller_products(cloud, seller)
    assert set(listed) == {"Aurora Earbuds", "Borealis Speaker"}
    assert listed["Borealis Speaker"]["description"] == "Loud,\nand clear"
    assert available(cloud, listed["Aurora Earbuds"]["product_id"]) == 12

    again = admin_cli("products", "import", str(csv_file))

    assert "created 0" in again.stdout and "already listed 2" in again.stdout
    assert set(seller_products(cloud, seller)) == {"Aurora Earbuds", "Borealis Speaker"}


def test_products_import_reads_json_with_line_numbers_and_a_dry_run_changes_nothing(
    cloud: LocalCloud, actor: Callable[..., Actor], category: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    category("Audio")
    seller = actor("seller")
    rows = [
        {
            "name": "Aurora Earbuds",
            "price_amount": 7999,
            "currency": "USD",
            "category": "audio",
            "seller": seller.email,
        },
        {"name": "", "price_amount": 10, "currency": "USD", "category": "audio", "seller": seller.email},
    ]
    json_file = tmp_path / "products.json"
    json_file.write_text(json.dumps(rows, indent=2))  # the second object starts on line 9

    dry = admin_cli("products", "import", "--dry-run", str(json_file))

    assert dry.exit_code == 1, dry.output
    assert "Dry run" in dry.stdout and "would create" in dry.stdout
    assert any(row[:2] == ["9", "name"] for row in table_rows(dry.stdout)), dry.stdout
    assert seller_products(cloud, seller) == {}

    json_file.write_text(json.dumps(rows[:1]))
    assert "created 1" in succeeded(admin_cli("products", "import", str(json_file)))
    assert set(seller_products(cloud, seller)) == {"Aurora Earbuds"}


def test_products_import_all_or_nothing_imports_nothing_when_a_row_is_bad(
    cloud: LocalCloud, actor: Callable[..., Actor], category: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    category("Audio")
    seller = actor("seller")
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(
        "name,price_amount,currency,category,seller\n"
        f"Good,100,USD,audio,{seller.email}\n"
        f"Bad,1.5,USD,audio,{seller.email}\n"
    )

    stderr = failed(admin_cli("products", "import", "--all-or-nothing", str(csv_file)))

    assert "Nothing imported" in stderr
    assert seller_products(cloud, seller) == {}


def test_products_import_refuses_a_file_without_the_required_columns(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("title,price\nX,1\n")

    stderr = failed(admin_cli("products", "import", str(csv_file)))

    assert "missing columns" in stderr and "unknown columns: price, title" in stderr


# ---------------------------------------------------------------------------------------------- search, jobs
def test_search_reindex_runs_on_the_jobs_function_and_the_products_are_found(
    cloud: LocalCloud, listed: Callable[..., dict[str, Any]]
) -> None:
    listed(name="Aurora Earbuds")
    listed(name="Borealis Speaker")

    out = succeeded(admin_cli("search", "reindex"))

    assert "2 products indexed" in out
    found = cloud.request("GET", "/v1/search?q=borealis").json()["items"]
    assert [item["name"] for item in found] == ["Borealis Speaker"]


def test_jobs_run_shows_the_jobs_summary(cloud: LocalCloud) -> None:
    out = succeeded(admin_cli("jobs", "run", "reconcile_payments", "--day", "2026-12-01"))

    assert "Job reconcile_payments finished" in out


def test_an_unknown_job_lists_the_jobs_there_are(cloud: LocalCloud) -> None:
    stderr = failed(admin_cli("jobs", "run", "make_coffee"))

    assert "No job named 'make_coffee'" in stderr
    assert "reindex_search" in stderr and "reconcile_payments" in stderr


def test_a_malformed_day_is_a_usage_error(cloud: LocalCloud) -> None:
    result = admin_cli("jobs", "run", "reconcile_payments", "--day", "yesterday")

    assert result.exit_code == 2 and "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------- orders
def paid_order(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> tuple[Actor, str, dict[str, Any]]:
    customer = actor("customer")
    product = listed(available=10, price={"amount": 5000, "currency": "EUR"})
    fill_cart(cloud, customer, (product["product_id"], 2))
    order_id = checkout(cloud, customer).json()["order_id"]
    order = settled(cloud, customer, order_id)
    assert order["status"] == "confirmed", order
    return customer, order_id, product


def test_orders_are_listed_shown_and_filtered(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, order_id, _ = paid_order(cloud, actor, listed)

    everyone = succeeded(admin_cli("orders", "list"))
    theirs = succeeded(admin_cli("orders", "list", "--customer", customer.email, "--status", "confirmed"))
    none = succeeded(admin_cli("orders", "list", "--status", "shipped"))
    shown = succeeded(admin_cli("orders", "show", order_id))
    as_json = json.loads(succeeded(admin_cli("orders", "show", order_id, "--json")))

    assert order_id in everyone and "confirmed" in everyone
    assert order_id in theirs and customer.email in theirs
    assert "No orders." in none
    assert "Aurora X2 Wireless Earbuds" in shown and "captured" in shown
    assert as_json["order_id"] == order_id and as_json["status"] == "confirmed"


def test_an_unknown_order_or_status_is_a_clear_error(cloud: LocalCloud) -> None:
    assert "order_not_found" in failed(admin_cli("orders", "show", "01J00000000000000000000000"))
    assert "Unknown status 'lost'" in failed(admin_cli("orders", "list", "--status", "lost"))
    assert "order_not_found" in failed(
        admin_cli("orders", "cancel", "01J00000000000000000000000", "--reason", "x")
    )


def test_an_admin_refund_from_the_cli_goes_to_the_wallet_once_per_key(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, order_id, _ = paid_order(cloud, actor, listed)
    key = f"refund-{uuid.uuid4()}"

    refund = (
        "orders",
        "refund",
        order_id,
        "--amount",
        "1500",
        "--to",
        "wallet",
        "--reason",
        "Late",
        "--key",
        key,
    )
    out = succeeded(admin_cli(*refund))
    succeeded(admin_cli(*refund))

    assert "Refunded 15.00 EUR to wallet" in out
    wallet = cloud.request("GET", "/v1/wallet", token=customer.token).json()
    assert wallet["balance"] == {"amount": 1500, "currency": "EUR"}
    too_much = failed(admin_cli("orders", "refund", order_id, "--amount", "999999", "--reason", "Oops"))
    assert "refund_exceeds_captured" in too_much
    assert "--to" in failed(admin_cli("orders", "refund", order_id, "--to", "pocket", "--reason", "x"))


def test_an_admin_cancels_an_order_with_a_reason_and_its_stock_goes_back(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer, order_id, product = paid_order(cloud, actor, listed)

    out = succeeded(admin_cli("orders", "cancel", order_id, "--reason", "Customer phoned support"))

    assert "cancelled" in out and "Customer phoned support" in out
    order = cloud.request("GET", f"/v1/orders/{order_id}", token=customer.token).json()
    assert order["status"] == "cancelled" and order["cancellation_reason"] == "admin_request"
    assert available(cloud, product["product_id"]) == 10


# ---------------------------------------------------------------------------------------------- stock
def test_stock_is_adjusted_with_a_reason_and_shown_with_its_ledger(
    cloud: LocalCloud, listed: Callable[..., dict[str, Any]]
) -> None:
    product_id = listed(available=10)["product_id"]

    adjusted = succeeded(admin_cli("stock", "adjust", product_id, "--delta", "5", "--reason", "Found a box"))
    succeeded(admin_cli("stock", "adjust", product_id, "--delta", "-2", "--reason", "Damaged"))
    north = succeeded(
        admin_cli("stock", "adjust", product_id, "--delta", "3", "--reason", "New", "--warehouse", "north")
    )
    shown = succeeded(admin_cli("stock", "show", product_id))

    assert ["total", "15", "0", "0", ""] in table_rows(adjusted)
    assert ["north", "3", "0", "0", "100"] in table_rows(north) and [
        "total",
        "16",
        "0",
        "0",
        "",
    ] in table_rows(north)
    assert available(cloud, product_id) == 16
    too_many = failed(
        admin_cli("stock", "adjust", product_id, "--delta", "-5", "--reason", "x", "--warehouse", "north")
    )
    assert "stock_would_go_negative" in too_many
    assert "Found a box" in shown and "Damaged" in shown and "operator:" in shown


def test_stock_adjustments_are_checked_like_the_apis(
    cloud: LocalCloud, listed: Callable[..., dict[str, Any]]
) -> None:
    product_id = listed(available=1)["product_id"]

    assert "--reason" in failed(admin_cli("stock", "adjust", product_id, "--delta", "1", "--reason", " "))
    assert "invalid_quantity" in failed(
        admin_cli("stock", "adjust", product_id, "--delta", "0", "--reason", "x")
    )
    assert "--warehouse" in failed(
        admin_cli("stock", "adjust", product_id, "--delta", "1", "--reason", "x", "--warehouse", "No Spaces!")
    )
    assert "product_not_found" in failed(admin_cli("stock", "show", "01J00000000000000000000000"))
    assert available(cloud, product_id) == 1


# ---------------------------------------------------------------------------------------------- the AWS endpoint
@pytest.fixture
def endpoint(cloud: LocalCloud) -> Iterator[AwsEndpoint]:
    """What `make run` serves on port 4566, here on a free port."""
    with AwsEndpoint(port=0, region=cloud.region) as started:
        yield started


def test_outbox_needs_the_local_endpoint(cloud: LocalCloud) -> None:
    assert "--endpoint-url" in failed(admin_cli("outbox"))
    assert "Nothing answers at http://127.0.0.1:9" in failed(
        admin_cli("--endpoint-url", "http://127.0.0.1:9", "outbox")
    )


@pytest.fixture
def sent(cloud: LocalCloud) -> Iterator[None]:
    """Forget what this test sends (moto keeps SES's and SNS's messages for the whole session)."""
    from localcloud import outbox

    yield
    outbox.clear(region=cloud.region)


def test_outbox_shows_what_ses_and_sns_sent(cloud: LocalCloud, endpoint: AwsEndpoint, sent: None) -> None:
    sender = cloud.outputs["NotificationSender"]
    cloud.client("ses").send_email(
        Source=sender,
        Destination={"ToAddresses": ["ann@example.com"]},
        Message={"Subject": {"Data": "Your order shipped"}, "Body": {"Text": {"Data": "On its way."}}},
    )
    cloud.client("sns").publish(PhoneNumber="+14155550100", Message="Your order shipped")

    out = succeeded(admin_cli("--endpoint-url", endpoint.url, "outbox", "--bodies"))

    assert "ann@example.com" in out and "Your order shipped" in out and "On its way." in out
    assert "+14155550100" in out


def test_the_cli_in_another_process_works_through_the_endpoint(
    cloud: LocalCloud, endpoint: AwsEndpoint, listed: Callable[..., dict[str, Any]]
) -> None:
    """The operator's path: another process, AWS_ENDPOINT_URL for every client, outputs from moto's
    CloudFormation; the lambda invoke runs the real jobs handler in the stack's process."""
    product_id = listed(available=3, name="Borealis Speaker")["product_id"]
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "USER_POOL", "COGNITO")) and not key.endswith(("_TABLE", "_BUCKET"))
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "commerce_admin", "--endpoint-url", endpoint.url, *args],
            cwd=ROOT,
            env={**environment, "COLUMNS": "250"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    adjusted = run("stock", "adjust", product_id, "--delta", "4", "--reason", "Returned to shelf")
    reindexed = run("search", "reindex")
    unknown = run("orders", "show", "01J00000000000000000000000")

    assert adjusted.returncode == 0, adjusted.stderr
    assert available(cloud, product_id) == 7
    assert reindexed.returncode == 0, reindexed.stderr
    assert "1 products indexed" in reindexed.stdout
    assert [item["product_id"] for item in cloud.request("GET", "/v1/search?q=borealis").json()["items"]] == [
        product_id
    ]
    assert (
        unknown.returncode == 1 and "order_not_found" in unknown.stderr and "Traceback" not in unknown.stderr
    )


def test_a_taken_port_is_an_error_the_local_stack_can_report_not_an_exit() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]

        with pytest.raises(OSError):
            AwsEndpoint(port=port).start()


def test_dynamodb_calls_through_the_endpoint_take_the_local_clouds_dynamodb_lock(
    cloud: LocalCloud, endpoint: AwsEndpoint
) -> None:
    """Without the lock moto's DynamoDB loses conditional writes under concurrency (localcloud.hooks)."""
    remote = boto3.session.Session().client("dynamodb", region_name=cloud.region, endpoint_url=endpoint.url)
    table = cloud.ref("UsersTable")
    with ThreadPoolExecutor(max_workers=1) as pool:
        with hooks.dynamodb_lock():
            call = pool.submit(remote.get_item, TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
            time.sleep(0.5)
            assert not call.done()
        assert "Item" not in call.result(timeout=30)
