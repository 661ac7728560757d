"""Link targets: which URLs can be written into a book, and which cannot be made valid.

Every link target is percent-encoded on its way out (folio/text/markup.lua, run by Pandoc on
every chapter and on the Word copy), so `<`, `>`, spaces and non-ASCII letters in a URL are fine;
what encoding cannot mend is a URL whose host or port is wrong, or one with no host at all.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
NEEDS_HOST = ("http", "https", "ftp", "ftps")
HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def is_path(target: str) -> bool:
    """A site-relative or file path ('/en/lessons/x', 'notes.html'): nothing in a book can follow
    it, so the link is dropped and its text kept (folio/text/markup.lua)."""
    target = target.strip()
    return bool(target) and not target.startswith("#") and not SCHEME.match(target) and not url_problem(target)


def url_problem(target: str) -> str:
    """Why this link target cannot be written as a valid URL, or '' when it can."""
    target = target.strip()
    scheme = SCHEME.match(target)
    if not scheme:
        if target.startswith("#") or not target:
            return ""
        if re.match(r"(www\.|[\w-]+\.(com|org|net|edu|gov|io)\b)", target):
            return "no scheme, so it would be read as a file in the book (write https:// before it)"
        return ""  # a path: see is_path
    name = scheme[1].lower()
    if name == "mailto":
        return "" if "@" in target else "an e-mail link needs an address with @"
    if name not in NEEDS_HOST:
        return ""
    try:
        parts = urlsplit(target)
        port = parts.port
    except ValueError as exc:
        return f"not a URL ({exc})"
    host = parts.hostname or ""
    if not host:
        return "no host name after //"
    if port is not None and not 0 < port < 65536:
        return f"port {port} is out of range"
    if host.startswith("[") or (re.fullmatch(r"[0-9a-f:.]+", host) and ":" in host):
        return ""
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return f"the host name {host!r} is not a valid international domain name"
    if not all(HOST_LABEL.fullmatch(label) for label in ascii_host.rstrip(".").split(".")):
        return f"the host name {host!r} holds characters a host name cannot have"
    return ""
