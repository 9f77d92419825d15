"""Report files in the reports bucket (private; the bucket's lifecycle keeps them 400 days)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from commerce.errors import DependencyFailure
from commerce.reports.ports import ReportStore

__all__ = ["S3ReportStore"]


class S3ReportStore(ReportStore):
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put_csv(self, key: str, body: str) -> None:
        """One PutObject: S3 replaces an object whole, so a reader never sees half a file."""
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body.encode("utf-8"),
                ContentType="text/csv; charset=utf-8",
                ContentDisposition=f'attachment; filename="{key.rsplit("/", 1)[-1]}"',
            )
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            raise DependencyFailure(
                f"The report {key} could not be stored: {code or type(error).__name__}",
                code="report_not_stored",
            ) from error
