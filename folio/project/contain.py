"""What a build may read: files inside the project (and Folio's own templates and fonts), and
http(s) resources only when book.yaml says `remote_resources: true`.

A publisher's build server builds manuscripts from many hands: a book must not be able to pull
another book's sources, a private key or a file of the server's into its outputs. Every way a
file is named is resolved the same way before it is read: a relative path, an absolute one,
`../`, a symbolic link inside the project that points out of it, a file:// URL. What lies
outside is refused with the key or the line that named it.

Remote resources, when a book allows them, are fetched with a time limit and a size cap, over
http(s) only (no redirect to file:// or ftp://), so a slow or huge answer cannot hang or fill a build.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REMOTE_TIMEOUT = 10.0
"""Seconds a remote resource may take, all told (connecting, waiting, reading)."""
REMOTE_LIMIT = 20 * 1024 * 1024
"""Bytes a remote resource may have: the biggest image a book has a use for."""
REMOTE_SCHEMES = ("http://", "https://")
HINT = "keep every input inside the project folder"
REMOTE_HINT = "put a copy inside the project, or set remote_resources: true in book.yaml"


class RemoteError(Exception):
    """A remote resource that was refused or could not be fetched; the message says why."""


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, its symbolic links followed, lies in `root` (itself resolved)."""
    return path.resolve().is_relative_to(root.resolve())


def is_remote(reference: str) -> bool:
    return reference.strip().lower().startswith(REMOTE_SCHEMES)


def template_problems(root: Path) -> list[str]:
    """The project's templates/ folder and every file in it must lie inside the project: Jinja
    follows a symbolic link wherever it points, and a template or stylesheet is printed into
    every PDF. One line a problem: `PATH: ...` (no key of book.yaml names these files)."""
    folder = root / "templates"
    if not (folder.exists() or folder.is_symlink()):
        return []
    if not inside(folder, root):
        return [f"{folder}: outside the project (it leads to {folder.resolve()}) (hint: {HINT})"]
    problems = []
    for current, folders, files in os.walk(folder):
        for name in sorted([*folders, *files]):
            path = Path(current) / name
            if not inside(path, root):
                problems.append(f"{path}: outside the project (it leads to {path.resolve()}) (hint: {HINT})")
    return problems


# Remote resources ---------------------------------------------------------------------------


@dataclass
class _Policy:
    remote: bool = False


_POLICY = _Policy()


@contextmanager
def remote_resources(allowed: bool) -> Iterator[None]:
    """While a build runs: whether its layouts may fetch http(s) resources (book.yaml's
    remote_resources). One setting for the process, so that WeasyPrint's one door
    (render/weasy.py) follows the book's choice in every layout, worker processes included
    (they are forked from the build)."""
    previous, _POLICY.remote = _POLICY.remote, allowed
    try:
        yield
    finally:
        _POLICY.remote = previous


def remote_allowed() -> bool:
    return _POLICY.remote


@dataclass(frozen=True)
class Fetched:
    url: str
    data: bytes
    content_type: str


def fetch_remote(url: str, *, timeout: float = REMOTE_TIMEOUT, limit: int = REMOTE_LIMIT) -> Fetched:
    """An http(s) resource, or RemoteError: refused when the book does not allow remote resources,
    when it takes longer than `timeout` seconds in all, or when it is bigger than `limit` bytes."""
    if not remote_allowed():
        raise RemoteError(f"refused to fetch {url}: a remote resource (hint: {REMOTE_HINT})")
    if not is_remote(url):
        raise RemoteError(f"refused to fetch {url}: only http and https are fetched")
    deadline = time.monotonic() + timeout
    try:
        with _opener().open(urllib.request.Request(url, headers={"User-Agent": "Folio"}), timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise RemoteError(f"refused {url}: {int(declared):,} bytes, more than the limit of {limit:,}")
            chunks, size = [], 0
            while chunk := response.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise RemoteError(f"refused {url}: more than the limit of {limit:,} bytes")
                if time.monotonic() > deadline:
                    raise RemoteError(f"gave up on {url}: not fetched within {timeout:g} s")
                chunks.append(chunk)
            return Fetched(response.url, b"".join(chunks), response.headers.get_content_type())
    except RemoteError:
        raise
    except (OSError, ValueError, urllib.error.URLError) as exc:  # TimeoutError is an OSError
        raise RemoteError(f"could not fetch {url}: {getattr(exc, 'reason', exc)}") from None


def _opener() -> urllib.request.OpenerDirector:
    """http and https with redirects among them, nothing else: no file:, ftp: or data: handler,
    so a redirect cannot lead a fetch back onto the machine's own files."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener
