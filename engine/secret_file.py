"""The signing secret kept in a file, and the private data directory that usually holds it.

Many processes may start at once against a fresh data directory (compose, a supervisor
restarting several workers): exactly one secret may come out of that, and no process may
ever read a half-written or empty file. The secret is written to a private temporary
file first and then hard-linked into place: a link either appears complete or not at all,
and it fails when the name already exists, so the first writer wins and every other
process reads the winner's secret.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

MIN_LENGTH = 16


class SecretFileError(ValueError):
    """The secret file cannot be used: empty, too short, or unreadable."""


def private_dir(path: Path) -> Path:
    """Creates the directory (and its parents) readable by its owner only; an existing one is
    left alone."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask; say it exactly
    return path


def read_or_create(path: Path) -> str:
    """The secret in `path`; when there is none yet, one is created there atomically."""
    if not path.exists():
        private_dir(path.parent)
        _create(path)
    try:
        text = path.read_text().strip()
    except OSError as error:
        raise SecretFileError(f"cannot read the secret file {path}: {error.strerror}") from None
    if len(text) < MIN_LENGTH:
        # Never sign with an empty or guessable key: a crash or a careless edit left it so.
        raise SecretFileError(
            f"the secret file {path} is {'empty' if not text else 'too short'}: it needs at least "
            f"{MIN_LENGTH} characters (delete it to have a new one generated; tokens signed with "
            "the old one stop working)"
        )
    return text


def _create(path: Path) -> None:
    """Writes a fresh secret beside `path` and links it into place unless another process won."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(
            FileExistsError
        ):  # another process created it first: its secret is the one
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
