"""Writing and reading reviews with in-memory fakes: who may review, once, what counts in the
product's rating, how far back the delivery check reads, and how pages are served."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from commerce.adapters.dynamodb import decode_cursor, encode_cursor, invalid_cursor
from commerce.catalog.model import Product, ProductStatus
from commerce.errors import Forbidden, InvalidInput, NotFound
from commerce.identity import Role
from commerce.ids import new_id
from commerce.money import Money
from commerce.orders.model import Order, ShippingAddress
from commerce.orders.pricing import PricedLine, Quote
from commerce.payments.model import PaymentMethod, PaymentMethodKind
from commerce.reviews.model import VERIFIED_BUYER, Review, ReviewDraft, ReviewExists, ReviewRequiresDelivery
from commerce.reviews.ports import AlreadyReviewed, ProductNotReviewable, ReviewPage, ReviewRepository
from commerce.reviews.service import MAX_ORDERS_READ, ReviewService
from unit.fakes import FakeProductRepository, FixedClock, principal

NOW = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
SELLER = "seller-1"


class FakeReviewRepository(ReviewRepository):
    """Reviews in a dict keyed like the table; the rating summary lives on the fake products, and
    ``add`` keeps the port's all-or-nothing promise."""

    def __init__(self, products: FakeProductRepository) -> None:
        self.products = products
        self.items: dict[tuple[str, str], Review] = {}
        #: When set, the product is archived just before the write (a seller racing the review).
        self.archive_first: str | None = None

    def add(self, review: Review) -> None:
        if self.archive_first is not None:
            stored = self.products.items[self.archive_first]
            self.products.items[self.archive_first] = replace(stored, status=ProductStatus.ARCHIVED)
        key = (review.product_id, review.customer_id)
        if key in self.items:
            raise AlreadyReviewed(review.review_id)
        product = self.products.items.get(review.product_id)
        if product is None or not product.is_active:
            raise ProductNotReviewable(review.product_id)
        self.items[key] = review
        self.products.items[review.product_id] = replace(
            product,
            rating_count=product.rating_count + 1,
            rating_total=product.rating_total + review.rating,
        )

    def newest(self, product_id: str, cursor: str | None, limit: int) -> ReviewPage:
        ordered = sorted(
            (r for (pid, _), r in self.items.items() if pid == product_id),
            key=lambda r: r.created_key,
            reverse=True,
        )
        if cursor is not None:
            before = decode_cursor(cursor, {"before"}).get("before")
            if not isinstance(before, str):
                raise invalid_cursor()
            ordered = [r for r in ordered if r.created_key < before]
        if len(ordered) <= limit:
            return ReviewPage(ordered, None)
        return ReviewPage(ordered[:limit], encode_cursor({"before": ordered[limit - 1].created_key}))


class FakeOrderHistory:
    """A customer's orders newest first, paged like the ``by_customer`` index; counts what was read."""

    def __init__(self) -> None:
        self.orders: dict[str, list[Order]] = {}
        self.read = 0

    def add(self, placed: Order) -> None:
        self.orders.setdefault(placed.customer_id, []).insert(0, placed)

    def for_customer(
        self, customer_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Order], str | None]:
        history = self.orders.get(customer_id, [])
        start = int(cursor or 0)
        page = history[start : start + limit]
        self.read += len(page)
        more = start + limit < len(history)
        return page, (str(start + limit) if more else None)


def placed_order(customer_id: str, product_id: str) -> Order:
    price = Money(1000, "EUR")
    zero = Money.zero("EUR")
    return Order.place(
        new_id(),
        customer_id,
        [PricedLine(product_id, SELLER, price, 1)],
        {},
        Quote(price, zero, zero, price, 0),
        ShippingAddress("Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB"),
        PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa"),
        NOW,
    )


def delivered_order(customer_id: str, product_id: str) -> Order:
    confirmed = placed_order(customer_id, product_id).confirmed(NOW)
    return confirmed.shipped_by(SELLER, "UPS", "1Z999AA1", NOW).delivered_for(SELLER, NOW)


class World:
    def __init__(self) -> None:
        self.products = FakeProductRepository()
        self.reviews = FakeReviewRepository(self.products)
        self.orders = FakeOrderHistory()
        self.clock = FixedClock(NOW)
        self.service = ReviewService(self.reviews, self.products, self.orders, self.clock)

    def product(self, status: ProductStatus = ProductStatus.ACTIVE) -> str:
        product = Product(
            product_id=new_id(),
            seller_id=SELLER,
            name="Aurora X2",
            description="Earbuds",
            price=Money(7999, "EUR"),
            category_id=new_id(),
            created_at=NOW,
            updated_at=NOW,
            status=status,
        )
        self.products.add(product)
        return product.product_id

    def buyer(self, product_id: str) -> str:
        customer_id = f"customer-{new_id()}"
        self.orders.add(delivered_order(customer_id, product_id))
        return customer_id

    def write(self, customer_id: str, product_id: str, rating: int = 4, name: str = "Ada") -> Review:
        return self.service.write(
            principal(customer_id, Role.CUSTOMER), product_id, ReviewDraft(rating, "Lovely."), name
        )


@pytest.fixture
def world() -> World:
    return World()


# ---------------------------------------------------------------------- writing
def test_a_buyer_whose_order_was_delivered_writes_a_review_counted_in_the_rating(world: World) -> None:
    product_id = world.product()
    customer_id = world.buyer(product_id)

    review = world.write(customer_id, product_id, rating=4)

    assert (review.product_id, review.customer_id, review.rating, review.reviewer_name) == (
        product_id,
        customer_id,
        4,
        "Ada",
    )
    assert review.verified_purchase
    assert review.created_at == NOW.replace(microsecond=123000)  # as stored: milliseconds
    stored = world.products.items[product_id]
    assert (stored.rating_count, stored.rating_total, stored.rating_average) == (1, 4, 4.0)
    assert stored.version == 1


def test_a_second_review_by_the_same_customer_is_refused_and_counts_nothing(world: World) -> None:
    product_id = world.product()
    customer_id = world.buyer(product_id)
    world.write(customer_id, product_id, rating=5)

    with pytest.raises(ReviewExists) as refused:
        world.write(customer_id, product_id, rating=1)

    assert refused.value.code == "review_exists"
    assert world.products.items[product_id].rating_total == 5


def test_a_customer_without_a_delivered_order_of_the_product_may_not_review_it(world: World) -> None:
    product_id, other_id = world.product(), world.product()
    waiting = "customer-waiting"
    world.orders.add(placed_order(waiting, product_id).confirmed(NOW))
    elsewhere = world.buyer(other_id)

    for customer_id in ("customer-never-bought", waiting, elsewhere):
        with pytest.raises(ReviewRequiresDelivery) as refused:
            world.write(customer_id, product_id)
        assert refused.value.code == "review_requires_delivery"
    assert world.reviews.items == {}
    assert world.products.items[product_id].rating_count == 0


def test_sellers_may_not_review_and_admins_only_what_they_received(world: World) -> None:
    product_id = world.product()

    with pytest.raises(Forbidden) as seller:
        world.service.write(principal(SELLER, Role.SELLER), product_id, ReviewDraft(5, "Mine!"), "Sam")
    with pytest.raises(ReviewRequiresDelivery):
        world.service.write(principal("admin-1", Role.ADMIN), product_id, ReviewDraft(5, "Hm."), "Al")

    assert seller.value.code == "role_required"


@pytest.mark.parametrize("status", [None, ProductStatus.ARCHIVED], ids=["unknown", "archived"])
def test_an_unknown_or_archived_product_is_not_found(world: World, status: ProductStatus | None) -> None:
    product_id = new_id() if status is None else world.product(status)
    customer_id = world.buyer(product_id)

    with pytest.raises(NotFound) as missing:
        world.write(customer_id, product_id)
    with pytest.raises(NotFound):
        world.service.product_reviews(product_id)

    assert missing.value.code == "product_not_found"


def test_a_product_archived_between_the_checks_and_the_write_is_not_found_and_nothing_is_kept(
    world: World,
) -> None:
    product_id = world.product()
    customer_id = world.buyer(product_id)
    world.reviews.archive_first = product_id

    with pytest.raises(NotFound) as missing:
        world.write(customer_id, product_id)

    assert missing.value.code == "product_not_found"
    assert world.reviews.items == {}


def test_a_delivery_a_few_pages_back_in_the_history_still_counts(world: World) -> None:
    product_id = world.product()
    customer_id = world.buyer(product_id)
    for _ in range(250):  # newer orders of other things
        world.orders.add(placed_order(customer_id, "something-else"))

    assert world.write(customer_id, product_id).customer_id == customer_id


def test_the_delivery_check_reads_at_most_the_latest_orders_it_is_allowed_to(world: World) -> None:
    product_id = world.product()
    customer_id = world.buyer(product_id)
    for _ in range(MAX_ORDERS_READ):
        world.orders.add(placed_order(customer_id, "something-else"))

    with pytest.raises(ReviewRequiresDelivery):
        world.write(customer_id, product_id)

    assert world.orders.read == MAX_ORDERS_READ


def test_the_name_given_is_the_name_kept(world: World) -> None:
    product_id = world.product()

    review = world.write(world.buyer(product_id), product_id, name=VERIFIED_BUYER)

    assert world.reviews.items[(product_id, review.customer_id)].reviewer_name == VERIFIED_BUYER


# ---------------------------------------------------------------------- reading
def test_reviews_come_newest_first_a_page_at_a_time_with_the_products_rating(world: World) -> None:
    product_id = world.product()
    written = []
    for index in range(5):
        written.append(world.write(world.buyer(product_id), product_id, rating=index + 1))
        world.clock.advance(minutes=1)

    first = world.service.product_reviews(product_id, limit=2)
    second = world.service.product_reviews(product_id, first.page.next_cursor, limit=2)
    last = world.service.product_reviews(product_id, second.page.next_cursor, limit=2)

    ids = [r.review_id for page in (first, second, last) for r in page.page.items]
    assert ids == [r.review_id for r in reversed(written)]
    assert last.page.next_cursor is None
    assert (first.product.rating_count, first.product.rating_average) == (5, 3.0)


def test_a_product_without_reviews_has_an_empty_last_page(world: World) -> None:
    reviews = world.service.product_reviews(world.product())

    assert (reviews.page.items, reviews.page.next_cursor, reviews.product.rating_average) == ([], None, None)


@pytest.mark.parametrize("limit", [0, 51, -1])
def test_a_page_size_outside_one_to_fifty_is_refused(world: World, limit: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.service.product_reviews(world.product(), limit=limit)

    assert refused.value.code == "invalid_limit"


def test_reviews_of_one_millisecond_keep_their_order_across_pages(world: World) -> None:
    product_id = world.product()
    written = [world.write(world.buyer(product_id), product_id) for _ in range(4)]  # one instant

    pages = [world.service.product_reviews(product_id, limit=1)]
    while pages[-1].page.next_cursor:
        pages.append(world.service.product_reviews(product_id, pages[-1].page.next_cursor, limit=1))

    assert [p.page.items[0].review_id for p in pages] == [r.review_id for r in reversed(written)]
    assert all(r.created_at == written[0].created_at for r in written)
