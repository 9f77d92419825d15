"""Product images in S3: sellers post raw files to the uploads bucket through presigned POST
forms (S3 checks size, type and key from the signed policy, so the API never carries image
bytes); the processor writes the renditions to the images bucket, which only CloudFront reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from commerce.images.model import ImageRejected, RejectionReason, Rendition, UploadContentType
from commerce.images.ports import ImageStore, UploadForm, UploadForms

__all__ = ["IMMUTABLE", "S3ImageStore", "S3UploadForms"]

#: A rendition's key never changes content (a new picture is a new upload id), so browsers and
#: CloudFront may keep it for a year without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_DELETE_BATCH = 1000


class S3UploadForms(UploadForms):
    def __init__(self, client: Any, bucket: str, form_url: str | None = None) -> None:
        self._client = client
        self._bucket = bucket
        #: Where forms are posted when it is not S3's own address (the local cloud's stand-in).
        self._form_url = form_url

    def form(
        self, key: str, content_type: UploadContentType, max_bytes: int, expires_in: timedelta
    ) -> UploadForm:
        # boto3 adds the bucket and the exact key to the policy's conditions itself.
        presigned = self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type.value},
            Conditions=[{"Content-Type": content_type.value}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=int(expires_in.total_seconds()),
        )
        fields = {str(name): str(value) for name, value in presigned["fields"].items()}
        return UploadForm(url=self._form_url or str(presigned["url"]), fields=fields)


class S3ImageStore(ImageStore):
    def __init__(self, client: Any, uploads_bucket: str, images_bucket: str) -> None:
        self._client = client
        self._uploads = uploads_bucket
        self._images = images_bucket

    def raw_size(self, key: str) -> int | None:
        try:
            head = self._client.head_object(Bucket=self._uploads, Key=key)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in _MISSING:
                return None
            raise
        return int(head["ContentLength"])

    def read_raw(self, key: str, max_bytes: int) -> bytes:
        body = self._client.get_object(Bucket=self._uploads, Key=key)["Body"]
        try:
            data: bytes = body.read(max_bytes + 1)
        finally:
            body.close()
        if len(data) > max_bytes:
            raise ImageRejected(RejectionReason.TOO_LARGE, f"The file is larger than {max_bytes} bytes.")
        return data

    def delete_raw(self, key: str) -> None:
        self._client.delete_object(Bucket=self._uploads, Key=key)

    def put_image(self, key: str, rendition: Rendition) -> None:
        self._client.put_object(
            Bucket=self._images,
            Key=key,
            Body=rendition.data,
            ContentType=rendition.content_type,
            CacheControl=IMMUTABLE,
        )

    def delete_images(self, keys: Iterable[str]) -> None:
        pending = list(dict.fromkeys(keys))
        for start in range(0, len(pending), _DELETE_BATCH):
            batch = pending[start : start + _DELETE_BATCH]
            response = self._client.delete_objects(
                Bucket=self._images,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            failed = response.get("Errors") or []
            if failed:
                raise RuntimeError(f"S3 kept {len(failed)} image objects: {failed[0].get('Code')}")
