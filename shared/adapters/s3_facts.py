"""Fact objects in the analytics bucket: backfill writes (one object per order and hour, named
after the order, so running it again overwrites rather than adds) and the reads the local report
engine loads (every object under the prefix, its hour folder as the row's `dt`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.domain.facts import Fact

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3FactFiles:
    def __init__(self, client: S3Client, bucket: str, prefix: str = "facts/") -> None:
        self._s3 = client
        self._bucket = bucket
        self._prefix = prefix
        # key -> (ETag, rows): an object is read once per version, however often rows() is called
        self._read: dict[str, tuple[str, list[dict[str, Any]]]] = {}

    def write(self, partition: str, name: str, facts: Sequence[Fact]) -> bool:
        key = f"{self._prefix}{partition}/{name}.json"
        body = "".join(json.dumps(f.row()) + "\n" for f in facts).encode()
        digest = hashlib.md5(body, usedforsecurity=False).hexdigest()
        try:
            if self._s3.head_object(Bucket=self._bucket, Key=key)["ETag"].strip('"') == digest:
                return False
        except ClientError as err:
            if err.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
                raise
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/x-ndjson")
        return True

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every stored fact row, with `dt` from its object's hour folder (yyyy/MM/dd/HH)."""
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=self._prefix):
            for obj in page.get("Contents", []):
                key, etag = obj["Key"], obj["ETag"]
                known = self._read.get(key)
                if known is None or known[0] != etag:
                    known = self._read[key] = (etag, self._parse(key))
                yield from known[1]

    def _parse(self, key: str) -> list[dict[str, Any]]:
        dt = "/".join(key[len(self._prefix) :].split("/")[:4])
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read().decode()
        return [{**json.loads(line), "dt": dt} for line in body.splitlines() if line.strip()]
