"""Upload records in DynamoDB (``IMAGE_UPLOADS_TABLE``, key ``upload_id``, TTL ``expires_at``).

| attribute                        | what                                                          |
|----------------------------------|---------------------------------------------------------------|
| product_id, seller_id, requested_by, content_type, alt | what the form was made for              |
| status, reason, image, settled_at | pending, or how it ended                                     |
| created_at                       | ISO 8601                                                      |
| expires_at                       | epoch seconds: DynamoDB's TTL (readers check it themselves)   |
| claim_id, claimed_until          | the processing attempt that owns a pending upload, and until when (epoch ms) |

Completing an upload is one ``TransactWriteItems``: the append to the product (see
``append_image_update``) and the upload's ``ready`` state, both conditional, so an image is on the
product exactly when its upload says ``ready``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import condition_failed, from_item, to_item, transaction_cancel_reasons
from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository, append_image_update
from commerce.catalog.model import ProductImage
from commerce.clock import isoformat
from commerce.images.model import (
    ImageRejected,
    RejectionReason,
    Upload,
    UploadContentType,
    UploadStatus,
)
from commerce.images.ports import ClaimLost, UploadRepository

__all__ = ["DynamoDBImageUploads"]

_IMAGE_FIELDS = ("thumbnail", "medium", "large", "zoom", "alt")
#: A product item and an upload item written by other requests at the same instant: try again.
_CONFLICT_ATTEMPTS = 3


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _item(upload: Upload) -> dict[str, Any]:
    return to_item(
        {
            "upload_id": upload.upload_id,
            "product_id": upload.product_id,
            "seller_id": upload.seller_id,
            "requested_by": upload.requested_by,
            "content_type": upload.content_type.value,
            "alt": upload.alt,
            "status": upload.status.value,
            "reason": upload.reason.value if upload.reason else None,
            "image": _image_values(upload.image) if upload.image else None,
            "created_at": isoformat(upload.created_at),
            "settled_at": isoformat(upload.settled_at) if upload.settled_at else None,
            "expires_at": int(upload.expires_at.timestamp()),
        }
    )


def _image_values(image: ProductImage) -> dict[str, Any]:
    return {name: getattr(image, name) for name in _IMAGE_FIELDS if getattr(image, name) is not None}


def _upload(item: dict[str, Any]) -> Upload:
    values = from_item(item)
    image = values.get("image")
    return Upload(
        upload_id=values["upload_id"],
        product_id=values["product_id"],
        seller_id=values["seller_id"],
        requested_by=values["requested_by"],
        content_type=UploadContentType(values["content_type"]),
        alt=values.get("alt"),
        created_at=datetime.fromisoformat(values["created_at"]),
        expires_at=datetime.fromtimestamp(int(values["expires_at"]), UTC),
        status=UploadStatus(values["status"]),
        reason=RejectionReason(values["reason"]) if values.get("reason") else None,
        image=ProductImage(**image) if image else None,
        settled_at=datetime.fromisoformat(values["settled_at"]) if values.get("settled_at") else None,
    )


class DynamoDBImageUploads(UploadRepository):
    def __init__(self, client: Any, table_name: str, products_table: str) -> None:
        self._client = client
        self._table = table_name
        self._products_table = products_table

    def _key(self, upload_id: str) -> dict[str, Any]:
        return {"upload_id": {"S": upload_id}}

    def add(self, upload: Upload) -> None:
        self._client.put_item(
            TableName=self._table, Item=_item(upload), ConditionExpression="attribute_not_exists(upload_id)"
        )

    def get(self, upload_id: str) -> Upload | None:
        response = self._client.get_item(TableName=self._table, Key=self._key(upload_id), ConsistentRead=True)
        return _upload(response["Item"]) if "Item" in response else None

    def claim(self, upload_id: str, claim_id: str, now: datetime, until: datetime) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(upload_id),
                UpdateExpression="SET claim_id = :claim, claimed_until = :until",
                ConditionExpression="attribute_exists(upload_id) AND #status = :pending "
                "AND (attribute_not_exists(claimed_until) OR claimed_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":claim": {"S": claim_id},
                    ":until": {"N": str(_epoch_ms(until))},
                    ":now": {"N": str(_epoch_ms(now))},
                    ":pending": {"S": UploadStatus.PENDING.value},
                },
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def release(self, upload_id: str, claim_id: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(upload_id),
                UpdateExpression="REMOVE claim_id, claimed_until",
                ConditionExpression="claim_id = :claim",
                ExpressionAttributeValues={":claim": {"S": claim_id}},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise

    def _settle_update(self, upload: Upload, claim_id: str) -> dict[str, Any]:
        values: dict[str, Any] = {
            ":status": {"S": upload.status.value},
            ":settled": {"S": isoformat(upload.settled_at or upload.created_at)},
            ":claim": {"S": claim_id},
            ":pending": {"S": UploadStatus.PENDING.value},
        }
        sets = ["#status = :status", "settled_at = :settled"]
        if upload.reason is not None:
            sets.append("reason = :reason")
            values[":reason"] = {"S": upload.reason.value}
        if upload.image is not None:
            sets.append("image = :image")
            values[":image"] = {"M": to_item(_image_values(upload.image))}
        return {
            "TableName": self._table,
            "Key": self._key(upload.upload_id),
            "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE claim_id, claimed_until",
            "ConditionExpression": "#status = :pending AND claim_id = :claim",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
        }

    def settle(self, upload: Upload, claim_id: str) -> None:
        try:
            self._client.update_item(**self._settle_update(upload, claim_id))
        except ClientError as error:
            if condition_failed(error):
                raise ClaimLost(upload.upload_id) from None
            raise

    def complete(self, upload: Upload, claim_id: str, max_images: int) -> None:
        if upload.image is None or upload.status is not UploadStatus.READY:
            raise ValueError("only a ready upload with its image can be completed")
        append = append_image_update(
            self._products_table,
            upload.product_id,
            upload.image,
            max_images,
            upload.settled_at or upload.created_at,
        )
        items = [append, {"Update": self._settle_update(upload, claim_id)}]
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                # The claim id as the request token: an SDK retry of a transaction that did commit
                # (a lost response) succeeds again instead of failing on its own conditions.
                self._client.transact_write_items(
                    TransactItems=items, ClientRequestToken=f"{claim_id}-{attempt}"
                )
            except ClientError as error:
                reasons = transaction_cancel_reasons(error)
                if len(reasons) != len(items):
                    raise
                product_reason, upload_reason = reasons
                if upload_reason == "ConditionalCheckFailed":
                    raise ClaimLost(upload.upload_id) from None
                if product_reason == "ConditionalCheckFailed":
                    raise self._refusal(upload.product_id, max_images) from None
                if "TransactionConflict" in reasons and attempt + 1 < _CONFLICT_ATTEMPTS:
                    continue
                raise
            return

    def _refusal(self, product_id: str, max_images: int) -> ImageRejected:
        product = DynamoDBProductRepository(self._client, self._products_table).get(product_id)
        if product is None or not product.is_active:
            return ImageRejected(RejectionReason.PRODUCT_GONE, "The product was archived or removed.")
        return ImageRejected(
            RejectionReason.TOO_MANY_IMAGES, f"The product already holds {max_images} images."
        )
