"""Small file helpers the services share."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hybridtools.core.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)

# Of a path that is refused, this much is quoted back.
_QUOTED_PATH_CHARS = 200


def write_json_atomic(path: Path, value: Any) -> None:
    """Replaces `path` in one rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        json.dump(value, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Holds an exclusive lock on `lock_path` (created if missing) across processes."""
    with open(lock_path, "a+") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def resolve_file_inside(directory: Path, relative: str, field: str, place: str) -> Path:
    """A file that `relative` names inside `directory`, or the status its caller gets.

    `field` names the request field the path came from and `place` the directory
    ("the import directory"), in the messages. A path that escapes the directory is
    PERMISSION_DENIED; a NUL byte or a name longer than the file system takes (both
    raise from the OS calls) INVALID_ARGUMENT; a symlink loop inside the directory,
    which no request can make, FAILED_PRECONDITION.
    """
    quoted = repr(relative[:_QUOTED_PATH_CHARS])
    if "\x00" in relative:
        raise InvalidArgumentError(f"{field} {quoted} holds a NUL byte, which no file name can")
    root = directory.resolve()
    try:
        candidate = (root / relative).resolve()
        exists, is_file = candidate.exists(), candidate.is_file()
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise  # the directory's trouble, not the caller's
        raise InvalidArgumentError(
            f"{field} {quoted} ({len(relative)} characters) is too long for the file system"
        ) from exc
    except RuntimeError as exc:  # Python 3.11's word for a symlink loop
        raise FailedPreconditionError(
            f"{field} {quoted} in {place} {root} is a symlink loop ({exc}); an operator has to "
            "fix the link"
        ) from exc
    if not candidate.is_relative_to(root):
        raise PermissionDeniedError(
            f"path {quoted} is outside {place} {root}; copy the file there first"
        )
    if not exists:
        raise NotFoundError(f"no file {quoted} in {place} {root}")
    if not is_file:
        raise InvalidArgumentError(f"{field} {quoted} is not a file")
    return candidate
