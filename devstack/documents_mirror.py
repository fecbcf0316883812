"""A copy of the documents bucket (labels, pick lists, packing slips, reports) in a folder a
person can open, kept up to date while the stack runs, like the outbox is for mail."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import boto3

log = logging.getLogger("devstack.documents")


class DocumentsMirror:
    def __init__(self, folder: Path, endpoint: str, region: str, bucket: str, every_s: float = 1.0) -> None:
        self.folder = folder
        self._s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
        self._bucket = bucket
        self._every_s = every_s
        self._copied: dict[str, str] = {}  # key -> ETag of the copy in the folder
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="documents-mirror", daemon=True)
        # Each start has a fresh bucket: documents of an earlier run would only mislead.
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self.flush()
        except Exception:  # the emulator may already be gone
            log.exception("last documents copy failed")

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self.flush()
            except Exception:  # a failed copy is tried again next round
                log.exception("documents copy failed")

    def flush(self) -> int:
        """Copies documents stored or changed since the last flush; returns how many."""
        with self._lock:
            copied = 0
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket):
                for item in page.get("Contents", []):
                    key, etag = item["Key"], item["ETag"]
                    if self._copied.get(key) == etag:
                        continue
                    target = self.folder / key
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self._s3.download_file(self._bucket, key, str(target))
                    self._copied[key] = etag
                    copied += 1
            return copied
