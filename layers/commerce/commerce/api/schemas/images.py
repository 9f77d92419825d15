"""Request and response shapes of the product image uploads API."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from commerce.api.schemas.catalog import ImageModel
from commerce.api.schemas.common import RequestModel, Schema, ShortText
from commerce.images.model import MAX_UPLOAD_BYTES, RejectionReason, Upload, UploadContentType, UploadStatus
from commerce.images.service import UploadStarted

__all__ = ["UploadFormOut", "UploadRequest", "UploadStatusOut", "status_path"]


def status_path(product_id: str, upload_id: str) -> str:
    return f"/v1/products/{product_id}/images/uploads/{upload_id}"


class UploadRequest(RequestModel):
    content_type: UploadContentType = Field(
        description="The picture's type; the form only accepts a file sent with it.", examples=["image/jpeg"]
    )
    alt: ShortText | None = Field(
        default=None, description="What the picture shows, for screen readers.", examples=["Earbuds in case"]
    )


class UploadFormOut(Schema):
    """POST ``fields`` and then the file (as the last field, named ``file``) to ``url`` as
    multipart/form-data, then poll ``status_url``."""

    upload_id: str
    url: str = Field(description="Where the browser posts the form (S3, or the local cloud).")
    fields: dict[str, str] = Field(description="Send every one of these, unchanged, before the file.")
    expires_at: datetime = Field(description="The form is refused after this.")
    max_bytes: int = Field(default=MAX_UPLOAD_BYTES, description="The largest file the form accepts.")
    status_url: str

    @classmethod
    def of(cls, started: UploadStarted) -> UploadFormOut:
        upload = started.upload
        return cls(
            upload_id=upload.upload_id,
            url=started.form.url,
            fields=started.form.fields,
            expires_at=started.form_expires_at,
            status_url=status_path(upload.product_id, upload.upload_id),
        )


class UploadStatusOut(Schema):
    upload_id: str
    product_id: str
    status: UploadStatus
    reason: RejectionReason | None = Field(default=None, description="Why a rejected upload was refused.")
    image: ImageModel | None = Field(default=None, description="The image's four URLs, once ready.")
    created_at: datetime
    expires_at: datetime = Field(description="The upload is forgotten after this.")

    @classmethod
    def of(cls, upload: Upload) -> UploadStatusOut:
        return cls(
            upload_id=upload.upload_id,
            product_id=upload.product_id,
            status=upload.status,
            reason=upload.reason,
            image=ImageModel.of(upload.image) if upload.image else None,
            created_at=upload.created_at,
            expires_at=upload.expires_at,
        )
