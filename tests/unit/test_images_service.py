"""Specification of product image uploads and their processing, on in-memory fakes: who may
upload, the ten-image limit, and a processor that adds each picture exactly once or leaves
nothing behind, whatever fails, repeats or races."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import pytest

from commerce.catalog.model import Product, ProductImage, ProductStatus
from commerce.errors import Conflict, Forbidden, NotFound
from commerce.identity import Role
from commerce.images.model import (
    CLAIM_LEASE,
    FORM_LIFETIME,
    MAX_IMAGES_PER_PRODUCT,
    MAX_UPLOAD_BYTES,
    UPLOAD_LIFETIME,
    RejectionReason,
    UploadContentType,
    UploadStatus,
    image_keys,
)
from commerce.images.service import ImageProcessor, ImageUploadService, Outcome
from commerce.money import Money
from unit.fakes import FakeProductRepository, FixedClock, principal
from unit.image_fakes import (
    FakeImageStore,
    FakeRenderer,
    FakeUploadForms,
    FakeUploadRepository,
    Outage,
)

SELLER = principal("seller-1", Role.SELLER)
OTHER_SELLER = principal("seller-2", Role.SELLER)
CUSTOMER = principal("customer-1", Role.CUSTOMER)
ADMIN = principal("admin-1", Role.ADMIN)
PRODUCT_ID = "01JH0000000000000000000001"
BASE_URL = "https://cdn.example"
PNG = UploadContentType.PNG
PICTURE = b"PICTURE of earbuds"

_ids = itertools.count(1)


def _next_id() -> str:
    return f"01JH{next(_ids):022d}"


@dataclass
class World:
    uploads_api: ImageUploadService
    processor: ImageProcessor
    products: FakeProductRepository
    uploads: FakeUploadRepository
    forms: FakeUploadForms
    store: FakeImageStore
    renderer: FakeRenderer
    clock: FixedClock

    @property
    def product(self) -> Product:
        product = self.products.get(PRODUCT_ID)
        assert product is not None
        return product

    def uploaded(self, data: bytes = PICTURE, alt: str | None = "Front") -> str:
        """A form issued to the seller and the file posted with it: the raw object's key."""
        started = self.uploads_api.start(SELLER, PRODUCT_ID, PNG, alt)
        self.store.raw[started.upload.key] = data
        return started.upload.key


def _image(n: int) -> ProductImage:
    url = f"https://cdn.example/old/{n}.jpg"
    return ProductImage(url, url, url, url)


@pytest.fixture
def world() -> World:
    clock = FixedClock()
    products = FakeProductRepository()
    products.add(
        Product(
            product_id=PRODUCT_ID,
            seller_id=SELLER.user_id,
            name="Earbuds",
            description="",
            price=Money(7999, "USD"),
            category_id="01JH0000000000000000000000",
            created_at=clock.now,
            updated_at=clock.now,
        )
    )
    uploads, forms, store, renderer = (
        FakeUploadRepository(products),
        FakeUploadForms(),
        FakeImageStore(),
        FakeRenderer(),
    )
    return World(
        uploads_api=ImageUploadService(uploads, forms, products, clock, new_upload_id=_next_id),
        processor=ImageProcessor(uploads, store, renderer, clock, BASE_URL, new_claim_id=_next_id),
        products=products,
        uploads=uploads,
        forms=forms,
        store=store,
        renderer=renderer,
        clock=clock,
    )


# ---------------------------------------------------------------------- upload forms
def test_the_seller_gets_a_form_for_exactly_one_key_type_and_size(world: World) -> None:
    started = world.uploads_api.start(SELLER, PRODUCT_ID, UploadContentType.WEBP, "Side view")

    upload = started.upload
    assert upload.status is UploadStatus.PENDING
    assert upload.key == f"uploads/{PRODUCT_ID}/{upload.upload_id}"
    assert world.forms.issued == [(upload.key, UploadContentType.WEBP, MAX_UPLOAD_BYTES, FORM_LIFETIME)]
    assert started.form_expires_at == world.clock.now + FORM_LIFETIME
    assert upload.expires_at == world.clock.now + UPLOAD_LIFETIME
    assert world.uploads.get(upload.upload_id) == upload


def test_an_admin_may_upload_for_any_seller_and_the_seller_may_follow_it(world: World) -> None:
    started = world.uploads_api.start(ADMIN, PRODUCT_ID, PNG, None)

    assert started.upload.seller_id == SELLER.user_id
    assert started.upload.requested_by == ADMIN.user_id
    assert world.uploads_api.status(SELLER, PRODUCT_ID, started.upload.upload_id) == started.upload


def test_another_seller_cannot_get_a_form_for_someone_elses_product(world: World) -> None:
    with pytest.raises(Forbidden) as refused:
        world.uploads_api.start(OTHER_SELLER, PRODUCT_ID, PNG, None)
    assert refused.value.code == "not_product_owner"
    assert world.uploads.items == {}


def test_a_customer_cannot_get_a_form(world: World) -> None:
    with pytest.raises(Forbidden) as refused:
        world.uploads_api.start(CUSTOMER, PRODUCT_ID, PNG, None)
    assert refused.value.code == "role_required"


def test_no_form_for_a_product_that_does_not_exist_or_is_archived(world: World) -> None:
    with pytest.raises(NotFound) as missing:
        world.uploads_api.start(SELLER, "01JH9999999999999999999999", PNG, None)
    assert missing.value.code == "product_not_found"

    world.products.items[PRODUCT_ID] = replace(world.product, status=ProductStatus.ARCHIVED)
    with pytest.raises(Conflict) as archived:
        world.uploads_api.start(SELLER, PRODUCT_ID, PNG, None)
    assert archived.value.code == "product_archived"


def test_a_product_with_ten_images_gets_no_eleventh_form(world: World) -> None:
    images = tuple(_image(n) for n in range(MAX_IMAGES_PER_PRODUCT))
    world.products.items[PRODUCT_ID] = replace(world.product, images=images)

    with pytest.raises(Conflict) as refused:
        world.uploads_api.start(SELLER, PRODUCT_ID, PNG, None)
    assert refused.value.code == "too_many_images"
    assert world.uploads.items == {}


def test_an_upload_is_visible_to_its_seller_and_admins_only(world: World) -> None:
    upload_id = world.uploads_api.start(SELLER, PRODUCT_ID, PNG, None).upload.upload_id

    assert world.uploads_api.status(ADMIN, PRODUCT_ID, upload_id).upload_id == upload_id
    with pytest.raises(Forbidden):
        world.uploads_api.status(OTHER_SELLER, PRODUCT_ID, upload_id)
    with pytest.raises(NotFound):
        world.uploads_api.status(SELLER, "01JH9999999999999999999999", upload_id)
    with pytest.raises(NotFound):
        world.uploads_api.status(SELLER, PRODUCT_ID, "01JH9999999999999999999999")


def test_an_expired_upload_is_forgotten(world: World) -> None:
    upload = world.uploads_api.start(SELLER, PRODUCT_ID, PNG, None).upload
    world.clock.now = upload.expires_at

    with pytest.raises(NotFound) as missing:
        world.uploads_api.status(SELLER, PRODUCT_ID, upload.upload_id)
    assert missing.value.code == "upload_not_found"


# ---------------------------------------------------------------------- processing
def test_a_picture_becomes_the_products_next_image_in_four_sizes(world: World) -> None:
    key = world.uploaded()
    upload_id = key.rsplit("/", 1)[1]

    processed = world.processor.process(key)

    assert processed.outcome is Outcome.READY
    upload = world.uploads.get(upload_id)
    assert upload is not None and upload.status is UploadStatus.READY
    base = f"{BASE_URL}/products/{PRODUCT_ID}/{upload_id}"
    expected = ProductImage(
        f"{base}/thumbnail.jpg", f"{base}/medium.jpg", f"{base}/large.jpg", f"{base}/zoom.jpg", "Front"
    )
    assert upload.image == expected
    assert world.product.images == (expected,)
    assert world.product.version == 2
    assert sorted(world.store.images) == sorted(image_keys(PRODUCT_ID, upload_id))
    assert world.store.raw == {}


def test_the_same_event_twice_adds_the_image_once(world: World) -> None:
    key = world.uploaded()
    world.processor.process(key)

    again = world.processor.process(key)

    assert again.outcome is Outcome.DUPLICATE
    assert len(world.product.images) == 1
    assert world.renderer.rendered == 1
    assert len(world.store.images) == 4


def test_a_file_over_the_limit_is_refused_without_being_read(world: World) -> None:
    key = world.uploaded(PICTURE + b"\0" * MAX_UPLOAD_BYTES)

    processed = world.processor.process(key)

    assert (processed.outcome, processed.reason) == (Outcome.REJECTED, RejectionReason.TOO_LARGE)
    assert world.store.reads == 0
    assert world.store.raw == {}


@pytest.mark.parametrize(
    "reason",
    [RejectionReason.NOT_AN_IMAGE, RejectionReason.TOO_MANY_PIXELS, RejectionReason.UNSUPPORTED_FORMAT],
)
def test_a_refused_file_leaves_nothing_and_says_why(world: World, reason: RejectionReason) -> None:
    world.renderer.refuse = lambda data: reason
    key = world.uploaded()

    processed = world.processor.process(key)

    assert (processed.outcome, processed.reason) == (Outcome.REJECTED, reason)
    upload = world.uploads.get(key.rsplit("/", 1)[1])
    assert upload is not None and (upload.status, upload.reason) == (UploadStatus.REJECTED, reason)
    assert world.store.images == {} and world.store.raw == {}
    assert world.product.images == () and world.product.version == 1


def test_a_picture_for_a_product_archived_meanwhile_is_refused_and_its_sizes_removed(world: World) -> None:
    key = world.uploaded()
    world.products.items[PRODUCT_ID] = replace(world.product, status=ProductStatus.ARCHIVED, version=2)

    processed = world.processor.process(key)

    assert (processed.outcome, processed.reason) == (Outcome.REJECTED, RejectionReason.PRODUCT_GONE)
    assert world.store.images == {} and world.store.raw == {}


def test_uploads_racing_for_the_last_slot_add_one_image(world: World) -> None:
    images = tuple(_image(n) for n in range(MAX_IMAGES_PER_PRODUCT - 1))
    world.products.items[PRODUCT_ID] = replace(world.product, images=images)
    first, second = world.uploaded(), world.uploaded()

    outcomes = [world.processor.process(first), world.processor.process(second)]

    assert [o.outcome for o in outcomes] == [Outcome.READY, Outcome.REJECTED]
    assert outcomes[1].reason is RejectionReason.TOO_MANY_IMAGES
    assert len(world.product.images) == MAX_IMAGES_PER_PRODUCT
    second_id = second.rsplit("/", 1)[1]
    assert not any(second_id in key for key in world.store.images)


def test_a_storage_outage_midway_removes_what_was_written_and_is_retried(world: World) -> None:
    key = world.uploaded()
    world.store.fail_puts_ending = "medium.jpg"

    with pytest.raises(Outage):
        world.processor.process(key)

    upload_id = key.rsplit("/", 1)[1]
    upload = world.uploads.get(upload_id)
    assert upload is not None and upload.status is UploadStatus.PENDING
    assert world.store.images == {}
    assert key in world.store.raw, "the raw file stays for the retry"
    assert upload_id not in world.uploads.claims, "the claim is given back"

    world.store.fail_puts_ending = None
    assert world.processor.process(key).outcome is Outcome.READY
    assert len(world.product.images) == 1


def test_a_database_outage_at_the_end_removes_the_sizes(world: World) -> None:
    key = world.uploaded()
    world.uploads.fail_next_complete = Outage("throttled")

    with pytest.raises(Outage):
        world.processor.process(key)

    assert world.store.images == {}
    assert world.product.images == ()
    assert world.processor.process(key).outcome is Outcome.READY


def test_a_completion_whose_answer_was_lost_keeps_the_images_files(world: World) -> None:
    key = world.uploaded()
    world.uploads.lose_next_completion = Outage("connection reset after commit")

    with pytest.raises(Outage):
        world.processor.process(key)

    assert len(world.product.images) == 1
    assert len(world.store.images) == 4, "the product points at them"
    assert world.processor.process(key).outcome is Outcome.DUPLICATE
    assert world.store.raw == {}


def test_an_upload_another_attempt_is_processing_is_left_to_it(world: World) -> None:
    key = world.uploaded()
    upload_id = key.rsplit("/", 1)[1]
    assert world.uploads.claim(upload_id, "other-attempt", world.clock.now, world.clock.now + CLAIM_LEASE)

    processed = world.processor.process(key)

    assert processed.outcome is Outcome.BUSY
    assert world.renderer.rendered == 0 and world.store.images == {}


def test_the_claim_of_an_attempt_that_died_lapses(world: World) -> None:
    key = world.uploaded()
    upload_id = key.rsplit("/", 1)[1]
    world.uploads.claim(upload_id, "dead-attempt", world.clock.now, world.clock.now + CLAIM_LEASE)
    world.clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)

    assert world.processor.process(key).outcome is Outcome.READY


def test_an_attempt_that_lost_its_claim_deletes_nothing(world: World) -> None:
    key = world.uploaded()
    upload_id = key.rsplit("/", 1)[1]
    uploads = world.uploads
    real_complete = uploads.complete

    def taken_over(*args: object, **kwargs: object) -> None:
        # Our lease ran out; another attempt claimed the upload and wrote the same keys.
        uploads.claims[upload_id].claim_id = "newer-attempt"
        real_complete(*args, **kwargs)  # type: ignore[arg-type]

    uploads.complete = taken_over  # type: ignore[method-assign]

    assert world.processor.process(key).outcome is Outcome.BUSY
    assert len(world.store.images) == 4, "the newer attempt's objects are left alone"
    assert key in world.store.raw


def test_a_redelivery_after_a_crash_between_refusing_and_tidying_finishes_the_tidying(world: World) -> None:
    key = world.uploaded(b"not a picture")
    world.processor.process(key)
    upload_id = key.rsplit("/", 1)[1]
    # As if the first attempt had died after settling: its sizes and the raw file still there.
    world.store.images.update(
        {k: world.renderer.render(PICTURE)[0] for k in image_keys(PRODUCT_ID, upload_id)}
    )
    world.store.raw[key] = b"not a picture"

    again = world.processor.process(key)

    assert (again.outcome, again.reason) == (Outcome.DUPLICATE, RejectionReason.NOT_AN_IMAGE)
    assert world.store.images == {} and world.store.raw == {}


def test_files_that_are_not_uploads_are_ignored(world: World) -> None:
    world.store.raw["uploads/elsewhere.png"] = PICTURE
    assert world.processor.process("uploads/elsewhere.png").outcome is Outcome.IGNORED
    unknown = f"uploads/{PRODUCT_ID}/01JH9999999999999999999999"
    world.store.raw[unknown] = PICTURE
    assert world.processor.process(unknown).outcome is Outcome.IGNORED
    assert world.product.images == ()


def test_an_upload_key_naming_another_product_is_ignored(world: World) -> None:
    key = world.uploaded()
    forged = key.replace(PRODUCT_ID, "01JH9999999999999999999999")
    world.store.raw[forged] = PICTURE

    assert world.processor.process(forged).outcome is Outcome.IGNORED
    assert world.product.images == ()
