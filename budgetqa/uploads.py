"""Uploaded files: checked (type, size) and stored under the data directory by content, with a safe
name, before the library ingests them; removed when no document uses them. Used by the app, and by
anything else that takes files from users.

    stored = store_upload(Path("/tmp/gradio/x/普陀区 2025.pdf"), settings)   # raises UploadError
"""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from pathlib import Path, PurePosixPath

from budgetqa.settings import Settings

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".markdown")


class UploadError(ValueError):
    """An uploaded file refused before ingestion (type or size); str() is shown to the user."""


def safe_file_name(name: str) -> str:
    """The last path component of an uploaded name, reduced to letters, digits (any script), . _ - ( ).

    '../../etc/passwd' -> 'passwd'; '..\\x\\普陀区 2025.pdf' -> '普陀区_2025.pdf'."""
    base = PurePosixPath(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    base = re.sub(r"[^\w.\-()（）]", "_", base).lstrip(".")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:150] or "upload"
    return f"{stem}.{suffix[:12]}" if suffix else stem


def check_upload(path: Path, settings: Settings) -> None:
    """Refuse files of the wrong type or over the size limit, with a message a person can act on."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UploadError(f"{path.name}：不支持的文件类型“{path.suffix or '无扩展名'}”，请上传 PDF、TXT 或 MD 文件")
    size_mb = path.stat().st_size / (1024 * 1024)
    if size_mb > settings.max_file_mb:
        raise UploadError(f"{path.name}：文件大小 {size_mb:.1f} MB，超过上限 {settings.max_file_mb:g} MB"
                          "（可设置 BUDGETQA_MAX_FILE_MB 调整）")


def store_upload(source: Path, settings: Settings, original_name: str | None = None) -> Path:
    """Copy an upload to uploads_dir/<content hash>/<safe name>; the folder keeps equal names apart."""
    check_upload(source, settings)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    uploads = settings.uploads_dir.resolve()
    target = (uploads / digest / safe_file_name(original_name or source.name)).resolve()
    if uploads not in target.parents:  # cannot happen after safe_file_name; kept as the last guard
        raise UploadError(f"{source.name}：文件名不安全")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def discard_upload(path: str | Path, settings: Settings) -> None:
    """Delete an uploaded copy (and its folder) once no document uses it; never touches other files."""
    uploads = settings.uploads_dir.resolve()
    folder = Path(path).resolve().parent
    if uploads in folder.parents:
        shutil.rmtree(folder, ignore_errors=True)
