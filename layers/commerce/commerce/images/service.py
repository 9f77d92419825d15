"""Image use cases: a seller asks for an upload form and follows the upload; the processor turns
each uploaded file into the product's next image, or refuses it, leaving nothing half-made.

Processing is safe to repeat and to run twice at once (S3 -> EventBridge -> Lambda delivers at
least once): an attempt first claims the pending upload for a bounded lease, settled uploads are
final, and the image's keys derive from the upload id, so a retry rewrites the same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from commerce.catalog.ports import ProductRepository
from commerce.clock import Clock
from commerce.errors import Conflict, NotFound
from commerce.identity import Principal, Role
from commerce.ids import new_id
from commerce.images.model import (
    CLAIM_LEASE,
    FORM_LIFETIME,
    MAX_IMAGES_PER_PRODUCT,
    MAX_UPLOAD_BYTES,
    ImageRejected,
    RejectionReason,
    Upload,
    UploadContentType,
    UploadStatus,
    image_key,
    image_keys,
    parse_upload_key,
    product_image,
)
from commerce.images.ports import (
    ClaimLost,
    ImageRenderer,
    ImageStore,
    UploadForm,
    UploadForms,
    UploadRepository,
)

__all__ = ["ImageProcessor", "ImageUploadService", "Outcome", "Processed", "UploadStarted"]


@dataclass(frozen=True, slots=True)
class UploadStarted:
    upload: Upload
    form: UploadForm
    #: When the form stops being accepted (the upload record lives longer).
    form_expires_at: datetime


@dataclass
class ImageUploadService:
    uploads: UploadRepository
    forms: UploadForms
    products: ProductRepository
    clock: Clock
    new_upload_id: Callable[[], str] = new_id

    def start(
        self, principal: Principal, product_id: str, content_type: UploadContentType, alt: str | None
    ) -> UploadStarted:
        """A form for one picture of a product its seller (or an admin) manages.

        Raises ``Forbidden`` (``role_required``, ``not_product_owner``), ``NotFound(product_not_found)``
        and ``Conflict`` (``product_archived``, ``too_many_images``). The image count is checked
        here to fail early; the processor enforces it for uploads that race each other.
        """
        principal.require(Role.SELLER)
        product = self.products.get(product_id)
        if product is None:
            raise NotFound("No such product.", code="product_not_found")
        product.ensure_managed_by(principal)
        if not product.is_active:
            raise Conflict("An archived product cannot get new images.", code="product_archived")
        if len(product.images) >= MAX_IMAGES_PER_PRODUCT:
            raise Conflict(
                f"A product holds at most {MAX_IMAGES_PER_PRODUCT} images.",
                code="too_many_images",
                extra={"max_images": MAX_IMAGES_PER_PRODUCT},
            )
        now = self.clock()
        upload = Upload.start(
            self.new_upload_id(), product_id, product.seller_id, principal.user_id, content_type, alt, now
        )
        form = self.forms.form(upload.key, content_type, MAX_UPLOAD_BYTES, FORM_LIFETIME)
        self.uploads.add(upload)
        return UploadStarted(upload, form, now + FORM_LIFETIME)

    def status(self, principal: Principal, product_id: str, upload_id: str) -> Upload:
        """Raises ``Forbidden`` and ``NotFound(upload_not_found)`` (also once the record expired)."""
        principal.require(Role.SELLER)
        upload = self.uploads.get(upload_id)
        if upload is None or upload.product_id != product_id or upload.is_expired(self.clock()):
            raise NotFound("No such upload.", code="upload_not_found")
        upload.ensure_visible_to(principal)
        return upload


class Outcome(StrEnum):
    #: The image was added to the product.
    READY = "ready"
    #: The file was refused; the upload says why.
    REJECTED = "rejected"
    #: The upload had already been settled (a redelivered event); only leftovers were tidied.
    DUPLICATE = "duplicate"
    #: Another attempt is processing this upload right now (or took it over).
    BUSY = "busy"
    #: Not an upload this platform knows (or its file is gone): nothing to do.
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Processed:
    outcome: Outcome
    upload_id: str | None = None
    reason: RejectionReason | None = None


@dataclass
class ImageProcessor:
    uploads: UploadRepository
    store: ImageStore
    renderer: ImageRenderer
    clock: Clock
    #: Where the CDN serves the images bucket, without a trailing slash.
    images_base_url: str
    new_claim_id: Callable[[], str] = new_id
    max_bytes: int = MAX_UPLOAD_BYTES

    def process(self, key: str) -> Processed:
        """Handle the raw file at ``key`` in the uploads bucket, once however often it is announced.

        A failure worth retrying (storage or database unavailable) removes what this attempt
        wrote, gives the upload back and raises, so the event is delivered again.
        """
        parsed = parse_upload_key(key)
        if parsed is None:
            return Processed(Outcome.IGNORED)
        product_id, upload_id = parsed
        upload = self.uploads.get(upload_id)
        if upload is None or upload.product_id != product_id:
            return Processed(Outcome.IGNORED, upload_id)  # the bucket's lifecycle rule removes the file
        if upload.is_settled:
            return self._tidy(upload)
        claim_id = self.new_claim_id()
        now = self.clock()
        if not self.uploads.claim(upload_id, claim_id, now, now + CLAIM_LEASE):
            current = self.uploads.get(upload_id)
            if current is not None and current.is_settled:
                return self._tidy(current)
            return Processed(Outcome.BUSY, upload_id)
        try:
            return self._process_claimed(upload, claim_id)
        except ClaimLost:
            # Our lease ran out and another attempt owns the upload (and the same keys): leave it all.
            return Processed(Outcome.BUSY, upload_id)
        except Exception:
            self.uploads.release(upload_id, claim_id)
            raise

    def _process_claimed(self, upload: Upload, claim_id: str) -> Processed:
        size = self.store.raw_size(upload.key)
        if size is None:
            self.uploads.release(upload.upload_id, claim_id)
            return Processed(Outcome.IGNORED, upload.upload_id)
        try:
            if size > self.max_bytes:
                raise ImageRejected(
                    RejectionReason.TOO_LARGE,
                    f"The file is {size} bytes; at most {self.max_bytes} are taken.",
                )
            renditions = self.renderer.render(self.store.read_raw(upload.key, self.max_bytes))
        except ImageRejected as refused:
            return self._reject(upload, claim_id, refused.reason)
        written: list[str] = []
        try:
            for rendition in renditions:
                key = image_key(upload.product_id, upload.image_id, rendition.size, rendition.extension)
                self.store.put_image(key, rendition)
                written.append(key)
            image = product_image(self.images_base_url, upload.product_id, upload.image_id, upload.alt)
            self.uploads.complete(upload.ready(image, self.clock()), claim_id, MAX_IMAGES_PER_PRODUCT)
        except ImageRejected as refused:
            return self._reject(upload, claim_id, refused.reason)
        except ClaimLost:
            raise
        except Exception:
            # A timeout may hide a transaction that did commit: never remove a ready image's files.
            current = self.uploads.get(upload.upload_id)
            if current is None or current.status is not UploadStatus.READY:
                self.store.delete_images(written)
            raise
        self.store.delete_raw(upload.key)
        return Processed(Outcome.READY, upload.upload_id)

    def _reject(self, upload: Upload, claim_id: str, reason: RejectionReason) -> Processed:
        """Settle first, then delete: a crash in between leaves a rejected upload whose next
        delivery finishes the tidying (``_tidy``), never an image the product points at."""
        self.uploads.settle(upload.rejected(reason, self.clock()), claim_id)
        self.store.delete_images(image_keys(upload.product_id, upload.image_id))
        self.store.delete_raw(upload.key)
        return Processed(Outcome.REJECTED, upload.upload_id, reason)

    def _tidy(self, upload: Upload) -> Processed:
        if upload.status is UploadStatus.REJECTED:
            self.store.delete_images(image_keys(upload.product_id, upload.image_id))
        self.store.delete_raw(upload.key)
        return Processed(Outcome.DUPLICATE, upload.upload_id, upload.reason)
