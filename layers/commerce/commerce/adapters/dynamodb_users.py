"""Profiles and saved addresses in one table: ``pk = USER#<id>``, ``sk = PROFILE | ADDRESS#<id>``.

The profile counts its addresses, so the limit holds under concurrent adds: each add is a
transaction that bumps the count conditionally and puts the address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.accounts.model import MAX_ADDRESSES, Address, SellerStatus, UserProfile
from commerce.accounts.ports import UserRepository
from commerce.adapters.dynamodb import condition_failed, from_item, to_item, transaction_cancel_reasons
from commerce.clock import isoformat
from commerce.errors import Conflict, NotFound, PreconditionFailed
from commerce.identity import Role

__all__ = ["DynamoDBUserRepository"]

_PROFILE = "PROFILE"
_ADDRESS_FIELDS = ("full_name", "line1", "line2", "city", "region", "postal_code", "country", "phone")


def _pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _address_sk(address_id: str) -> str:
    return f"ADDRESS#{address_id}"


class DynamoDBUserRepository(UserRepository):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # ------------------------------------------------------------------ profile
    def add(self, profile: UserProfile) -> None:
        item = to_item(
            {
                "pk": _pk(profile.user_id),
                "sk": _PROFILE,
                "user_id": profile.user_id,
                "email": profile.email,
                "name": profile.name,
                "account_type": profile.account_type.value,
                "phone": profile.phone,
                "sms_opt_in": profile.sms_opt_in,
                "address_count": 0,
                "seller_status": profile.seller_status.value if profile.seller_status else None,
                "created_at": isoformat(profile.created_at),
                "updated_at": isoformat(profile.updated_at),
                "version": profile.version,
            }
        )
        try:
            self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if condition_failed(error):
                raise Conflict("This account already has a profile.", code="profile_exists") from None
            raise

    def get(self, user_id: str) -> UserProfile | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": _pk(user_id), "sk": _PROFILE}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        account_type = Role(values["account_type"])
        seller_status = None
        if account_type is Role.SELLER:
            # Sellers stored before approvals existed were all let in.
            seller_status = SellerStatus(values.get("seller_status", SellerStatus.APPROVED.value))
        return UserProfile(
            user_id=values["user_id"],
            email=values["email"],
            name=values["name"],
            account_type=account_type,
            seller_status=seller_status,
            created_at=datetime.fromisoformat(values["created_at"]),
            updated_at=datetime.fromisoformat(values["updated_at"]),
            phone=values.get("phone"),
            sms_opt_in=bool(values.get("sms_opt_in", False)),
            default_address_id=values.get("default_address_id"),
            address_count=int(values.get("address_count", 0)),
            version=int(values["version"]),
        )

    def save(self, profile: UserProfile, expected_version: int) -> None:
        sets = ["#name = :name", "sms_opt_in = :sms", "updated_at = :updated", "version = :version"]
        values: dict[str, Any] = {
            ":name": profile.name,
            ":sms": profile.sms_opt_in,
            ":updated": isoformat(profile.updated_at),
            ":version": profile.version,
            ":expected": expected_version,
        }
        if profile.seller_status is not None:
            sets.append("seller_status = :seller_status")
            values[":seller_status"] = profile.seller_status.value
        expression = "SET " + ", ".join(sets)
        if profile.phone:
            expression += ", phone = :phone"
            values[":phone"] = profile.phone
        else:
            expression += " REMOVE phone"
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": _pk(profile.user_id), "sk": _PROFILE}),
                UpdateExpression=expression,
                ConditionExpression="version = :expected",
                ExpressionAttributeNames={"#name": "name"},
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if condition_failed(error):
                raise PreconditionFailed(
                    "The profile changed at the same time; read it again.", code="version_conflict"
                ) from None
            raise

    # ------------------------------------------------------------------ addresses
    def _address_item(self, user_id: str, address: Address) -> dict[str, Any]:
        values: dict[str, Any] = {"pk": _pk(user_id), "sk": _address_sk(address.address_id)}
        values["address_id"] = address.address_id
        values.update({name: getattr(address, name) for name in _ADDRESS_FIELDS})
        return to_item(values)

    @staticmethod
    def _address(values: dict[str, Any]) -> Address:
        fields: dict[str, Any] = {name: values.get(name) for name in _ADDRESS_FIELDS}
        return Address(address_id=values["address_id"], **fields)

    def list_addresses(self, user_id: str) -> list[Address]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": _pk(user_id), ":prefix": "ADDRESS#"}),
            ConsistentRead=True,
        )
        return [self._address(from_item(item)) for item in response.get("Items", [])]

    def get_address(self, user_id: str, address_id: str) -> Address | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": _pk(user_id), "sk": _address_sk(address_id)}),
            ConsistentRead=True,
        )
        return self._address(from_item(response["Item"])) if "Item" in response else None

    def _profile_key(self, user_id: str) -> dict[str, Any]:
        return to_item({"pk": _pk(user_id), "sk": _PROFILE})

    def add_address(self, user_id: str, address: Address, make_default: bool) -> None:
        update = "SET address_count = address_count + :one"
        values: dict[str, Any] = {":one": 1, ":max": MAX_ADDRESSES}
        if make_default:
            update += ", default_address_id = :address_id"
            values[":address_id"] = address.address_id
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._profile_key(user_id),
                            "UpdateExpression": update,
                            "ConditionExpression": "attribute_exists(pk) AND address_count < :max",
                            "ExpressionAttributeValues": to_item(values),
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": self._address_item(user_id, address),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            reasons = transaction_cancel_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise Conflict(
                    f"An account keeps at most {MAX_ADDRESSES} addresses; remove one first.",
                    code="too_many_addresses",
                ) from None
            raise

    def update_address(self, user_id: str, address: Address, make_default: bool) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._address_item(user_id, address),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        ]
        if make_default:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._profile_key(user_id),
                        "UpdateExpression": "SET default_address_id = :address_id",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": to_item({":address_id": address.address_id}),
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if transaction_cancel_reasons(error):
                raise NotFound("No such address.", code="address_not_found") from None
            raise

    def delete_address(self, user_id: str, address_id: str) -> None:
        profile = self.get(user_id)
        update = "SET address_count = address_count - :one"
        condition = "attribute_exists(pk)"
        values: dict[str, Any] = {":one": 1}
        if profile is not None and profile.default_address_id == address_id:
            update += " REMOVE default_address_id"
            condition += " AND default_address_id = :address_id"
            values[":address_id"] = address_id
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": to_item({"pk": _pk(user_id), "sk": _address_sk(address_id)}),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._profile_key(user_id),
                            "UpdateExpression": update,
                            "ConditionExpression": condition,
                            "ExpressionAttributeValues": to_item(values),
                        }
                    },
                ]
            )
        except ClientError as error:
            reasons = transaction_cancel_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise NotFound("No such address.", code="address_not_found") from None
            if reasons:
                raise Conflict(
                    "The address book changed at the same time; try again.", code="conflict"
                ) from None
            raise
