"""What the local server answers besides the API: S3's browser-upload endpoint and CloudFront.

* ``POST /_s3/<bucket>`` takes a presigned POST form (multipart/form-data: the signed fields,
  then ``file``) and puts the object into moto's bucket, which announces it to EventBridge as
  S3 does, so the image processor runs. boto3's presigned URL (``https://<bucket>.s3.amazonaws.com/``)
  does not exist offline; the upload API answers this address instead when ``UPLOADS_FORM_URL``
  is set (``LocalCloud.start`` sets it). The form is checked as S3 checks it: SigV4 signature,
  expiry, every condition of the policy (exact fields, prefixes, ``content-length-range``) and
  no unsigned extra fields, with S3's XML errors (403 ``AccessDenied``, 400 ``EntityTooLarge``...).
* ``GET /_images/<key>`` serves the images bucket as CloudFront would: the object's bytes,
  content type and ``Cache-Control``, an ``ETag`` and 304 for ``If-None-Match``.

Processing happens inside the upload's PutObject here (moto delivers S3 -> EventBridge -> Lambda
synchronously), so the form's answer comes once the picture is processed; in AWS it is immediate
and the processor runs a moment later. Clients poll the upload's status either way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from botocore.exceptions import ClientError

from localcloud.gateway import GatewayResponse

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

__all__ = ["IMAGES_BUCKET", "IMAGES_PATH", "MAX_FORM_BYTES", "S3_FORMS_PATH", "LocalFiles", "form_url"]

IMAGES_PATH = "/_images/"
S3_FORMS_PATH = "/_s3/"
#: The template's bucket the ``/_images/`` path stands for (CloudFront's origin).
IMAGES_BUCKET = "ImagesBucket"
#: The largest form post read: a policy's 10 MiB file plus room for the fields. Larger bodies are
#: refused (413) before they are read; the policy's own limit answers S3's EntityTooLarge below it.
MAX_FORM_BYTES = 11 * 1024 * 1024

#: Fields S3 does not require a policy condition for.
_UNSIGNED_FIELDS = {"x-amz-signature", "file", "policy"}
_REQUIRED_FIELDS = ("key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
_CORS = [("access-control-allow-origin", "*")]

SecretFor = Callable[[str], str | None]


def form_url(public_url: str, bucket: str) -> str:
    """Where browsers post forms for ``bucket`` on the local server."""
    return f"{public_url.rstrip('/')}{S3_FORMS_PATH}{bucket}"


def _environment_secret(access_key: str) -> str | None:
    """The local cloud's own fake credentials are what boto3 signs forms with in-process."""
    if access_key and access_key == os.environ.get("AWS_ACCESS_KEY_ID"):
        return os.environ.get("AWS_SECRET_ACCESS_KEY")
    return None


def _s3_error(status: int, code: str, message: str) -> GatewayResponse:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    ).encode()
    return GatewayResponse(status, [("content-type", "application/xml"), *_CORS], body)


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = _s3_error(status, code, message)


def _policy_failed(condition: Any) -> _Refused:
    return _Refused(
        403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
    )


def _signature(secret: str, credential: str, policy: str) -> str:
    """SigV4 for POST: the policy (as posted, base64) signed with the credential scope's key."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise _Refused(400, "AuthorizationQueryParametersError", "The x-amz-credential field is malformed.")
    _, date, region, service, terminator = parts
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


class LocalFiles:
    """Answers ``/_s3/`` and ``/_images/`` requests for the local server (and for tests, in-process)."""

    #: What the server may read of a request it hands over here (``make_server`` checks it first).
    max_body_bytes = MAX_FORM_BYTES

    def __init__(
        self,
        client: Callable[[str], Any],
        buckets: Mapping[str, str],
        *,
        secret_for: SecretFor = _environment_secret,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        #: Bucket names by logical id (``LocalCloud.resources.buckets``).
        self._buckets = buckets
        self._secret_for = secret_for
        self._clock = clock

    @classmethod
    def of(cls, cloud: LocalCloud) -> LocalFiles:
        return cls(cloud.client, cloud.resources.buckets)

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith((IMAGES_PATH, S3_FORMS_PATH))

    def answer(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> GatewayResponse:
        lowered = {key.lower(): value for key, value in headers}
        if path.startswith(IMAGES_PATH):
            return self._image(method, unquote(path.removeprefix(IMAGES_PATH)), lowered)
        return self._form(method, path.removeprefix(S3_FORMS_PATH).strip("/"), lowered, body)

    # ------------------------------------------------------------------ CloudFront
    def _image(self, method: str, key: str, headers: Mapping[str, str]) -> GatewayResponse:
        if method not in ("GET", "HEAD"):
            return GatewayResponse(405, [("allow", "GET, HEAD")], b"")
        bucket = self._buckets.get(IMAGES_BUCKET)
        if bucket is None or not key:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        try:
            found = self._client("s3").get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            raise
        etag = str(found["ETag"])
        served = [("etag", etag), *_CORS]
        if "CacheControl" in found:
            served.append(("cache-control", str(found["CacheControl"])))
        wanted = {tag.strip().removeprefix("W/") for tag in headers.get("if-none-match", "").split(",")}
        if etag in wanted or "*" in wanted:
            found["Body"].close()
            return GatewayResponse(304, served, b"")
        served += [
            ("content-type", str(found.get("ContentType") or "application/octet-stream")),
            ("last-modified", format_datetime(found["LastModified"].astimezone(UTC), usegmt=True)),
        ]
        return GatewayResponse(200, served, found["Body"].read())

    # ------------------------------------------------------------------ S3 POST forms
    def _form(self, method: str, bucket: str, headers: Mapping[str, str], body: bytes) -> GatewayResponse:
        if method == "OPTIONS":  # CORS preflight: the uploads bucket allows POST from any origin
            return GatewayResponse(
                200,
                [
                    *_CORS,
                    ("access-control-allow-methods", "POST"),
                    ("access-control-allow-headers", headers.get("access-control-request-headers", "*")),
                    ("access-control-max-age", "3000"),
                ],
                b"",
            )
        if method != "POST":
            return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed here.")
        if bucket not in self._buckets.values():
            return _s3_error(404, "NoSuchBucket", "The specified bucket does not exist.")
        try:
            fields, data, filename = _parse_form(headers.get("content-type", ""), body)
            key = self._authorised_key(bucket, fields, data, filename)
        except _Refused as refused:
            return refused.response
        stored = self._client("s3").put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType=fields.get("content-type", "binary/octet-stream"),
        )
        etag = str(stored["ETag"])
        status = fields.get("success_action_status", "204")
        location = f"{S3_FORMS_PATH}{bucket}/{key}"
        answered = [("etag", etag), ("location", location), *_CORS]
        if status == "201":
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<PostResponse><Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket>"
                f"<Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>"
            ).encode()
            return GatewayResponse(201, [("content-type", "application/xml"), *answered], xml)
        return GatewayResponse(200 if status == "200" else 204, answered, b"")

    def _authorised_key(self, bucket: str, fields: dict[str, str], data: bytes, filename: str) -> str:
        """The key to write, once the form passed every check S3 makes."""
        missing = [name for name in _REQUIRED_FIELDS if name not in fields]
        if missing:
            raise _Refused(400, "InvalidArgument", f"Bucket POST must contain a field named '{missing[0]}'.")
        if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
            raise _Refused(400, "InvalidArgument", "Only AWS4-HMAC-SHA256 is supported.")
        fields["key"] = fields["key"].replace("${filename}", filename)
        secret = self._secret_for(fields["x-amz-credential"].split("/", 1)[0])
        if secret is None:
            raise _Refused(403, "InvalidAccessKeyId", "The AWS access key id you provided does not exist.")
        expected = _signature(secret, fields["x-amz-credential"], fields["policy"])
        if not hmac.compare_digest(expected, fields["x-amz-signature"].lower()):
            raise _Refused(
                403, "SignatureDoesNotMatch", "The request signature we calculated does not match."
            )
        try:
            policy = json.loads(base64.b64decode(fields["policy"], validate=True))
            expires = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
            conditions = list(policy["conditions"])
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise _Refused(400, "InvalidPolicyDocument", "The policy is not valid.") from None
        if self._clock() >= expires:
            raise _Refused(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        values = {**fields, "bucket": bucket}
        covered = {"bucket"}
        for condition in conditions:
            covered |= _check_condition(condition, values, len(data))
        extra = sorted(
            name
            for name in fields
            if name not in covered and name not in _UNSIGNED_FIELDS and not name.startswith("x-ignore-")
        )
        if extra:
            raise _Refused(
                403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {extra[0]}"
            )
        return fields["key"]


def _check_condition(condition: Any, values: Mapping[str, str], size: int) -> set[str]:
    """Raise unless ``condition`` holds; the field names it covers."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, wanted),) = condition.items()
        if values.get(name.lower()) != str(wanted):
            raise _policy_failed(["eq", f"${name}", wanted])
        return {name.lower()}
    if isinstance(condition, list) and len(condition) == 3:
        operator, name, wanted = condition
        if operator == "content-length-range":
            if size < int(name):
                raise _Refused(
                    400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed."
                )
            if size > int(wanted):
                raise _Refused(
                    400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."
                )
            return set()
        field = str(name).removeprefix("$").lower()
        actual = values.get(field)
        if operator == "eq" and actual == str(wanted):
            return {field}
        if operator == "starts-with" and actual is not None and actual.startswith(str(wanted)):
            return {field}
        raise _policy_failed(condition)
    raise _Refused(400, "InvalidPolicyDocument", f"Unknown policy condition: {json.dumps(condition)}")


def _parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], bytes, str]:
    """The form's fields (names lower-cased, as S3 compares them), the file and its name."""
    from werkzeug.formparser import parse_form_data  # moto's own HTTP layer: always installed with it

    if not content_type.lower().startswith("multipart/form-data"):
        raise _Refused(
            412, "PreconditionFailed", "Bucket POST must be of the enclosure-type multipart/form-data"
        )
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    _, form, files = parse_form_data(environ)
    upload = files.get("file")
    if upload is None:
        raise _Refused(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    fields = {name.lower(): str(value) for name, value in form.items()}
    return fields, upload.read(), upload.filename or ""
