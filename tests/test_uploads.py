"""Uploaded files (budgetqa/uploads.py and the app's BudgetApp.ingest_upload): safe names, kept under the
uploads folder, refused by type and size with a message a person can act on, nothing kept from a refusal."""

from __future__ import annotations

from pathlib import Path

from budgetqa.settings import Settings

ZFB = "普陀区人民政府办公室2025年部门预算.pdf"


def test_safe_file_name_strips_folders_and_odd_characters() -> None:
    from budgetqa.uploads import safe_file_name

    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("..\\..\\windows\\普陀区 2025.pdf") == "普陀区_2025.pdf"
    assert safe_file_name(ZFB) == ZFB
    assert safe_file_name("..") == "upload"
    assert safe_file_name("/abs/.hidden.pdf") == "hidden.pdf"
    assert "/" not in safe_file_name("a/b\x00c.pdf") and "\x00" not in safe_file_name("a/b\x00c.pdf")


def test_store_upload_keeps_files_under_uploads_dir(tmp_path: Path) -> None:
    from budgetqa.uploads import store_upload

    settings = Settings(data_dir=tmp_path / "data")
    evil = tmp_path / "in" / "..%2F..%2Fevil.pdf"
    evil.parent.mkdir()
    evil.write_bytes(b"%PDF-1.4 test")
    stored = store_upload(evil, settings, original_name="../../../evil.pdf")
    assert settings.uploads_dir.resolve() in stored.parents
    assert stored.name == "evil.pdf" and stored.read_bytes() == b"%PDF-1.4 test"


def test_upload_limits_refuse_type_and_size_with_a_clear_message(tmp_path: Path) -> None:
    from budgetqa.ui import BudgetApp

    app = BudgetApp(Settings(data_dir=tmp_path / "data", max_file_mb=0.01))
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 20_000)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    too_big, wrong_type = app.ingest_upload(big), app.ingest_upload(exe)
    assert too_big.status == "failed" and "超过上限 0.01 MB" in (too_big.error or "")
    assert wrong_type.status == "failed" and "不支持的文件类型" in (wrong_type.error or "")
    assert app.documents() == []
    assert not any(p.is_file() for p in uploaded_files(app.settings.uploads_dir))


def uploaded_files(folder: Path) -> list[Path]:
    return list(folder.rglob("*")) if folder.exists() else []
