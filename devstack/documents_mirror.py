"""A copy of the documents bucket (labels, pick lists, packing slips, reports) in a folder a
person can open, kept up to date while the stack runs, like the outbox is for mail.

Like the outbox it reads moto's backend in this process: listing the bucket over the API every
second and downloading each new object through boto3's transfer manager had grown, after a thousand
orders, into a good share of the stack's CPU and a ten-second stop.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

from moto.s3.models import FakeKey, s3_backends

from devstack.provision import ACCOUNT

log = logging.getLogger("devstack.documents")


class DocumentsMirror:
    def __init__(self, folder: Path, bucket: str, every_s: float = 1.0) -> None:
        self.folder = folder
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
            keys = s3_backends[ACCOUNT]["aws"].get_bucket(self._bucket).keys
            copied = 0
            for name in list(keys):  # a copy of the names: the stack stores documents meanwhile
                stored = keys.get(name)  # a delete marker in a versioned bucket is not a document
                if not isinstance(stored, FakeKey) or self._copied.get(name) == stored.etag:
                    continue
                target = self.folder / name
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    partial = target.with_name(target.name + ".part")
                    partial.write_bytes(stored.value)
                    partial.replace(target)  # a reader of the folder never sees half a file
                except (OSError, ValueError):  # overwritten meanwhile (moto closed it): next round
                    log.warning("could not copy %s this round", name)
                    continue
                self._copied[name] = stored.etag
                copied += 1
            return copied
