"""Abandoned-cart reminders and daily seller sales reports through the local cloud: real carts and
checkouts over HTTP, the jobs fired by their schedules or invoked for another hour or day, emails read
from moto's SES (``localcloud.outbox``) and files from the reports bucket."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from commerce.adapters.dynamodb_carts import DynamoDBCartRepository
from commerce.carts.model import CART_TTL
from localcloud import LocalCloud
from localcloud.outbox import SentEmail, emails
from support import Actor, checkout, fill_cart, settled

REMINDER = "You left"
SALES = "Your sales on"


def emails_to(cloud: LocalCloud, address: str, subject_starts: str) -> list[SentEmail]:
    """What SES sent to ``address`` about one thing (the body is the HTML part when there is one)."""
    return [
        email for email in emails(address, region=cloud.region) if email.subject.startswith(subject_starts)
    ]


def carts(cloud: LocalCloud) -> DynamoDBCartRepository:
    return DynamoDBCartRepository(cloud.client("dynamodb"), cloud.ref("CartsTable"))


def left_alone_for(cloud: LocalCloud, cart_id: str, idle: timedelta) -> None:
    """Make the cart's last change ``idle`` ago, as if the shopper had walked away then."""
    stored = carts(cloud).get(cart_id)
    assert stored is not None
    then = datetime.now(UTC) - idle
    aged = replace(
        stored,
        created_at=then,
        updated_at=then,
        expires_at=(then + CART_TTL).replace(microsecond=0),
        version=stored.version + 1,
    )
    carts(cloud).save(aged, expected_version=stored.version)


def remind(cloud: LocalCloud, at: datetime | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"job": "remind_abandoned_carts"}
    if at is not None:
        event["now"] = at.isoformat()
    return dict(cloud.invoke("JobsFunction", event))


# ---------------------------------------------------------------------- abandoned carts
def test_a_cart_left_for_twenty_one_hours_gets_one_reminder_however_often_the_schedule_fires(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    earbuds = listed(name="Aurora Earbuds", price={"amount": 7999, "currency": "USD"})
    cable = listed(name="USB-C Cable", price={"amount": 999, "currency": "USD"})
    fill_cart(cloud, customer, (earbuds["product_id"], 2), (cable["product_id"], 1))
    left_alone_for(cloud, customer.user_id, timedelta(hours=21))

    cloud.fire_schedule("JobsFunctionAbandonedCartReminders")
    cloud.fire_schedule("JobsFunctionAbandonedCartReminders")

    [email] = emails_to(cloud, customer.email, REMINDER)
    assert email.subject == "You left 3 items in your cart"
    assert "Aurora Earbuds" in email.body and "79.99 USD" in email.body and "159.98 USD" in email.body
    assert "USB-C Cable" in email.body and "Total: 169.97 USD" in email.body
    assert 'href="/cart"' in email.body


def test_guest_carts_empty_carts_and_fresh_carts_get_no_reminder(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    product_id = listed()["product_id"]
    guest_cart = cloud.request("POST", "/v1/guest-carts").json()["cart_id"]
    put = cloud.request("PUT", f"/v1/guest-carts/{guest_cart}/items/{product_id}", json={"quantity": 1})
    assert put.status == 200, put.text
    emptied, fresh = actor("customer"), actor("customer")
    fill_cart(cloud, emptied, (product_id, 1))
    assert cloud.request("DELETE", "/v1/cart", token=emptied.token).status == 204
    fill_cart(cloud, fresh, (product_id, 1))
    for cart_id in (guest_cart, emptied.user_id):
        left_alone_for(cloud, cart_id, timedelta(hours=21))

    result = remind(cloud)

    # the sparse index does not even hold the guest's or the empty cart; the fresh one is not due
    assert (result["checked"], result["sent"]) == (0, 0)
    assert emails_to(cloud, emptied.email, REMINDER) == emails_to(cloud, fresh.email, REMINDER) == []


def test_a_cart_changed_after_its_reminder_gets_a_new_one_once_idle_again(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    product_id = listed(name="Aurora Earbuds")["product_id"]
    fill_cart(cloud, customer, (product_id, 1))
    first_period = datetime.now(UTC)

    assert remind(cloud, first_period + timedelta(hours=19))["sent"] == 0, "not idle long enough yet"
    assert remind(cloud, first_period + timedelta(hours=21))["sent"] == 1
    assert remind(cloud, first_period + timedelta(hours=22))["already_sent"] == 1
    fill_cart(cloud, customer, (product_id, 2))  # a new idle period starts
    second_period = datetime.now(UTC)
    sent_again = remind(cloud, second_period + timedelta(hours=21))

    assert sent_again["sent"] == 1
    assert [m.subject for m in emails_to(cloud, customer.email, REMINDER)] == [
        "You left 1 item in your cart",
        "You left 2 items in your cart",
    ]


def test_concurrent_runs_of_the_reminder_job_send_one_email(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    fill_cart(cloud, customer, (listed()["product_id"], 1))
    at = datetime.now(UTC) + timedelta(hours=21)
    barrier = threading.Barrier(6)
    results: list[dict[str, Any]] = []

    def run() -> None:
        barrier.wait()
        results.append(remind(cloud, at))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r["sent"] for r in results) == [0] * 5 + [1]
    assert len(emails_to(cloud, customer.email, REMINDER)) == 1


def test_a_cart_emptied_by_its_checkout_is_not_reminded(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    fill_cart(cloud, customer, (listed()["product_id"], 1))
    response = checkout(cloud, customer)
    assert response.status == 202, response.text
    assert settled(cloud, customer, response.json()["order_id"])["status"] == "confirmed"

    result = remind(cloud, datetime.now(UTC) + timedelta(hours=21))

    assert (result["sent"], result["not_due"]) == (0, result["checked"])
    assert emails_to(cloud, customer.email, REMINDER) == []


# ---------------------------------------------------------------------- seller sales reports
def report(cloud: LocalCloud, seller: Actor, day: str) -> list[dict[str, str]]:
    body = (
        cloud.client("s3")
        .get_object(Bucket=cloud.ref("ReportsBucket"), Key=f"sellers/{seller.user_id}/sales/{day}.csv")[
            "Body"
        ]
        .read()
        .decode()
    )
    return list(csv.DictReader(io.StringIO(body)))


def bucket_keys(cloud: LocalCloud) -> list[str]:
    listing = cloud.client("s3").list_objects_v2(Bucket=cloud.ref("ReportsBucket"))
    return sorted(item["Key"] for item in listing.get("Contents", []))


def bought(cloud: LocalCloud, customer: Actor, *lines: tuple[str, int]) -> str:
    fill_cart(cloud, customer, *lines)
    response = checkout(cloud, customer)
    assert response.status == 202, response.text
    order_id = str(response.json()["order_id"])
    assert settled(cloud, customer, order_id)["status"] == "confirmed"
    return order_id


def test_two_sellers_who_sold_on_a_day_get_a_csv_and_an_email_each_and_running_it_again_changes_nothing(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    seller_a, seller_b = actor("seller"), actor("seller")
    earbuds = listed(seller=seller_a, name="Aurora Earbuds", price={"amount": 7999, "currency": "USD"})
    cable = listed(seller=seller_b, name="USB-C Cable", price={"amount": 999, "currency": "USD"})
    first = bought(cloud, actor("customer"), (earbuds["product_id"], 2), (cable["product_id"], 1))
    second = bought(cloud, actor("customer"), (earbuds["product_id"], 1))
    today = datetime.now(UTC).date().isoformat()

    result = cloud.invoke("JobsFunction", {"job": "report_seller_sales", "day": today})

    assert (result["sellers"], result["files"], result["emails_sent"]) == (2, 2, 2)
    assert bucket_keys(cloud) == sorted(
        f"sellers/{seller.user_id}/sales/{today}.csv" for seller in (seller_a, seller_b)
    )
    lines_a = report(cloud, seller_a, today)
    assert [(r["order_id"], r["product_name"], r["quantity"], r["line_total"]) for r in lines_a] == [
        (first, "Aurora Earbuds", "2", "159.98"),
        (second, "Aurora Earbuds", "1", "79.99"),
    ]
    assert {(r["unit_price"], r["currency"], r["status"]) for r in lines_a} == {("79.99", "USD", "confirmed")}
    assert [(r["order_id"], r["product_name"], r["line_total"]) for r in report(cloud, seller_b, today)] == [
        (first, "USB-C Cable", "9.99")
    ]
    [to_a] = emails_to(cloud, seller_a.email, SALES)
    [to_b] = emails_to(cloud, seller_b.email, SALES)
    assert to_a.subject == f"Your sales on {today}"
    assert "239.97 USD" in to_a.body and f"sellers/{seller_a.user_id}/sales/{today}.csv" in to_a.body
    assert "9.99 USD" in to_b.body

    # WHEN the day is run again
    before = {seller.user_id: report(cloud, seller, today) for seller in (seller_a, seller_b)}
    again = cloud.invoke("JobsFunction", {"job": "report_seller_sales", "day": today})

    # THEN the same files are there and nobody is emailed twice
    assert (again["files"], again["emails_sent"], again["already_emailed"]) == (2, 0, 2)
    assert {seller.user_id: report(cloud, seller, today) for seller in (seller_a, seller_b)} == before
    assert len(emails_to(cloud, seller_a.email, SALES)) == len(emails_to(cloud, seller_b.email, SALES)) == 1


def test_the_daily_schedule_reports_yesterday_and_a_day_without_sales_leaves_no_file(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    seller = actor("seller")
    bought(cloud, actor("customer"), (listed(seller=seller)["product_id"], 1))  # sold today, not yesterday

    cloud.fire_schedule("JobsFunctionDailySellerReports")

    assert bucket_keys(cloud) == []
    assert emails_to(cloud, seller.email, SALES) == []
