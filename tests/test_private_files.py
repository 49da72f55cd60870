"""Every file followup writes is written whole or not at all, owner-only: a temporary file beside
the target, 0600 from its creation, synced and renamed over it. An old 0644 file ends up 0600; a
full disk (or any failure) leaves the old file exactly as it was and no temporary file, and says
"disk full: cannot write PATH" rather than "internal error"."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from followup import private_files
from followup.cli import main
from followup.errors import FollowupError
from followup.private_files import DiskFull, private_text, write_private
from followup.services import exporting
from followup.services.context import Context

OLD = "last week's packet\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    """A file some other program left world-readable."""
    path = tmp_path / "out" / "packet.html"
    path.parent.mkdir()
    path.write_text(OLD, encoding="utf-8")
    path.chmod(0o644)
    return path


def _full_disk(*_args: Any, **_kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_an_old_0644_file_is_replaced_by_a_0600_one(old_file: Path) -> None:
    write_private(old_file, "new\n")
    assert old_file.read_text(encoding="utf-8") == "new\n" and _mode(old_file) == 0o600
    assert os.listdir(old_file.parent) == [old_file.name]


def test_the_temporary_file_is_0600_before_any_data_is_written(old_file: Path) -> None:
    with private_text(old_file) as fh:
        [temporary] = [p for p in old_file.parent.iterdir() if p != old_file]
        assert _mode(temporary) == 0o600 and temporary.stat().st_size == 0
        fh.write("new\n")
    assert not temporary.exists() and old_file.read_text(encoding="utf-8") == "new\n"


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_a_full_disk_says_so_and_leaves_the_old_file(
    old_file: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "fsync":
        monkeypatch.setattr(private_files.os, "fsync", _full_disk)
    with pytest.raises(DiskFull) as refused:
        with private_text(old_file) as fh:
            fh.write("half a packet")
            if where == "write":
                _full_disk()
    assert str(refused.value) == f"disk full: cannot write {old_file}"
    assert old_file.read_text(encoding="utf-8") == OLD and _mode(old_file) == 0o644
    assert os.listdir(old_file.parent) == [old_file.name]


def test_any_failure_removes_the_temporary_file(old_file: Path) -> None:
    with pytest.raises(RuntimeError):
        with private_text(old_file) as fh:
            fh.write("half")
            raise RuntimeError("rendering failed")
    assert old_file.read_text(encoding="utf-8") == OLD
    assert os.listdir(old_file.parent) == [old_file.name]


def test_a_folder_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    with pytest.raises(FollowupError, match=f"cannot write {tmp_path / 'nowhere' / 'x.csv'}: "):
        write_private(tmp_path / "nowhere" / "x.csv", "x")


def _cli(ctx: Context, *args: str) -> int:
    return main(["--db", str(ctx.engine.url.database), *args])


def test_export_over_a_0644_file_leaves_it_0600(ctx: Context, old_file: Path) -> None:
    assert _cli(ctx, "export", "patients", "--out", str(old_file)) == 0
    assert (
        old_file.read_text(encoding="utf-8").startswith("patient_id,") and _mode(old_file) == 0o600
    )


def test_export_on_a_full_disk_keeps_the_old_export(
    ctx: Context,
    old_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def write_then_fill_up(_fields: object, _rows: object, _fmt: str, fh: Any) -> int:
        fh.write("patient_id,name\n")
        _full_disk()
        return 0

    monkeypatch.setattr(exporting, "write_rows", write_then_fill_up)
    assert _cli(ctx, "export", "patients", "--out", str(old_file)) == 1
    said = capsys.readouterr().err
    assert f"disk full: cannot write {old_file}" in said and "internal error" not in said
    assert old_file.read_text(encoding="utf-8") == OLD
    assert os.listdir(old_file.parent) == [old_file.name]


def test_review_out_keeps_the_previous_packet_when_rendering_fails(
    ctx: Context, old_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from followup.reports import packet

    def broken(*_args: object) -> str:
        raise RuntimeError("template error")

    monkeypatch.setattr(packet, "render", broken)
    assert _cli(ctx, "review", "--out", str(old_file)) == 1
    assert old_file.read_text(encoding="utf-8") == OLD


def test_review_out_on_a_full_disk_keeps_the_previous_packet(
    ctx: Context,
    old_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(private_files.os, "fsync", _full_disk)
    assert _cli(ctx, "review", "--out", str(old_file)) == 1
    assert f"disk full: cannot write {old_file}" in capsys.readouterr().err
    assert old_file.read_text(encoding="utf-8") == OLD
    assert os.listdir(old_file.parent) == [old_file.name]


def test_backup_over_an_old_backup(
    ctx: Context,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "backups" / "clinic.db"
    target.parent.mkdir()
    target.write_text("an older backup", encoding="utf-8")
    target.chmod(0o644)
    with monkeypatch.context() as patched:
        patched.setattr(private_files.os, "fsync", _full_disk)
        assert _cli(ctx, "backup", str(target), "--force") == 1
    assert f"disk full: cannot write {target}" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "an older backup"
    assert os.listdir(target.parent) == [target.name]

    assert _cli(ctx, "backup", str(target), "--force") == 0
    assert target.read_bytes().startswith(b"SQLite format 3") and _mode(target) == 0o600
    assert os.listdir(target.parent) == [target.name]
