"""Files a kill, a full disk or an I/O error can never leave half-written.

Every file a later command reads (spec.json, result.json, checkpoints, predictor checkpoints,
``data synth`` output, PNGs) is written to a temporary file ``.<name>.<pid>.tmp`` beside its
target, flushed to disk, then renamed over the target: readers see the old file or the new one,
never a torn one. If the write fails (ENOSPC, EIO, an exception, Ctrl-C) the temporary file is
removed before the error propagates, so a full disk is not kept full by our own leftovers; a
process killed with SIGKILL cannot clean up, so :func:`remove_leftovers` removes temporary files
whose writer is gone.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from trackbench.harness.errors import TrackbenchError

# .<target name>.<pid>.tmp, plus the older .<name>.tmp / .<name>.<random>.tmp forms.
_LEFTOVER = re.compile(r"^\..+?(?:\.(\d+))?\.tmp$")


def temporary_path(path: Path) -> Path:
    """The temporary file this process writes ``path`` through."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is fsynced and renamed to ``path``.

    Raises whatever the writer or the file system raised (OSError for a full disk), after
    removing the temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
    except OSError as error:  # name the file the user knows, not our temporary one
        temporary.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def write_json_atomic(path: str | Path, payload: Any) -> None:
    write_bytes_atomic(path, json.dumps(payload, indent=2).encode())


def check_creatable(path: Path, option: str = "--out") -> None:
    """Raise TrackbenchError, before any work, if ``path`` cannot be created: its nearest
    existing ancestor is a file, or a folder in which no folder can be created."""
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise TrackbenchError(f"{option} {path}: {ancestor} is a file, not a folder")
    try:  # permissions alone do not tell (read-only mounts, /proc): try it
        os.rmdir(tempfile.mkdtemp(prefix=".trackbench-probe.", dir=ancestor))
    except OSError as error:
        raise TrackbenchError(f"{option} {path}: cannot create a folder in {ancestor} "
                              f"({error.strerror})") from None


@contextlib.contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success it is renamed to ``path`` (which must not
    exist or be empty). On failure the temporary folder is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    try:
        yield temporary
        if path.is_dir():
            path.rmdir()  # empty, or this raises and nothing is lost
        os.replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def remove_leftovers(directory: Path, *, owned: bool = False, recursive: bool = False,
                     target: str | None = None) -> list[Path]:
    """Delete temporary files and folders that an interrupted write left in ``directory``.

    ``owned``: the caller holds the directory's lock, so every temporary file is stale. Otherwise
    only those whose writing process no longer runs are removed. ``target``: only the temporary
    files of that file name (in a folder trackbench does not own). Returns what was removed.
    """
    if not directory.is_dir():
        return []
    removed = []
    pattern = f".{glob.escape(target)}.*.tmp" if target else ".*.tmp"
    for candidate in directory.rglob(pattern) if recursive else directory.glob(pattern):
        match = _LEFTOVER.match(candidate.name)
        if not match or candidate.is_symlink():
            continue
        if target and candidate.name != f".{target}.{match.group(1)}.tmp":
            continue  # another file's
        pid = match.group(1)
        if owned or (pid is not None and not _alive(int(pid))):
            if candidate.is_dir():
                shutil.rmtree(candidate, ignore_errors=True)
            else:
                candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def writable_file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be written as a file, checked before long work (a training) whose
    result would otherwise be lost at the end; None if nothing stands in the way. Writes can
    still fail later (a full disk); those errors name the file too."""
    path = Path(path).expanduser()
    if path.is_dir():
        return f"cannot write {path}: it is a folder"
    return _folder_problem(path, path.parent)


def writable_folder_problem(path: str | Path) -> str | None:
    """Why files cannot be written in the folder ``path`` (created if missing); None if nothing
    stands in the way."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        return f"cannot write in {path}: it is a file, not a folder"
    return _folder_problem(path, path)


def _folder_problem(target: Path, folder: Path) -> str | None:
    """The nearest existing folder on the way to ``folder`` must be a folder we may write in
    (the rest is created)."""
    existing = folder
    while not existing.exists():  # a path under a file does not exist either
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot write {target}: {existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write {target}: {existing} is not writable"
    return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
