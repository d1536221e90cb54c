"""Content-addressed image files under the data folder.

A file's name is the SHA-256 of its bytes, so writing the same image twice (a retried
attempt, a crash between writing and recording) stores it once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from io import BytesIO
from pathlib import Path

from PIL import Image

THUMBNAIL_SIZE = 256
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str, fmt: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.{fmt}"

    def put(self, data: bytes, fmt: str) -> str:
        """Store ``data`` (atomically: write then rename); return its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest, fmt)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def delete(self, sha256: str, fmt: str) -> None:
        self.path(sha256, fmt).unlink(missing_ok=True)


def make_thumbnail(data: bytes, size: int = THUMBNAIL_SIZE) -> bytes:
    """A WebP thumbnail whose longest side is ``size``."""
    with Image.open(BytesIO(data)) as img:
        img.thumbnail((size, size))
        out = BytesIO()
        img.convert("RGB").save(out, "WEBP", quality=80)
        return out.getvalue()
