"""Where the import page keeps an uploaded file between the dry run and the import: one
folder per upload under MEDIA_ROOT/imports/<token>/ (the file, and the skipped rows once an
import skipped some), named in the uploader's session under SESSION_KEY."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from django.conf import settings

# Uploaded files wait this long between the dry run and the real import.
UPLOAD_TTL_SECONDS = 24 * 60 * 60
SESSION_KEY = "customer_imports"


def import_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def pending_uploads() -> list[Path]:
    """The folders of uploads still waiting (their name is the upload's token)."""
    root = import_root()
    if not root.is_dir():
        return []
    return sorted(child for child in root.iterdir() if child.is_dir())


def clean_old_uploads() -> None:
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for child in pending_uploads():
        if child.stat().st_mtime < cutoff:
            shutil.rmtree(child, ignore_errors=True)
