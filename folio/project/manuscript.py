"""Chapters on disk: front matter, body text, and where the body starts in the file."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from folio.checks.findings import Finding
from folio.project import yamlfile
from folio.project.config import Project

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
FENCE = re.compile(r"^(```+|~~~+).*?^\1[ \t]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)")
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


def mask_code(text: str) -> str:
    """Blank out code blocks and spans, keeping every line and column where it was."""

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match[0])

    return CODE_SPAN.sub(blank, FENCE.sub(blank, text))


@dataclass(frozen=True, eq=False)
class Chapter:
    path: Path
    position: int
    """1-based place in the book's reading order."""
    title: str
    number: int | None
    """The chapter number ('Chapter 35'); sections are numbered from it (35.1, 35.2, ...)."""
    body: str
    body_line: int
    """Line of the file on which `body` starts, so positions in the body map back to the file."""

    @property
    def id(self) -> str:
        """Prefix of every id in this chapter's HTML: ids stay unique when chapters are joined."""
        return f"ch{self.position:02d}"

    @property
    def label(self) -> str:
        return f"Chapter {self.number}" if self.number is not None else ""

    @cached_property
    def masked_body(self) -> str:
        """The body with code blanked out: what checks scan for citations and markup."""
        return mask_code(self.body)

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.body)]

    def position_of(self, offset: int) -> tuple[int, int]:
        """(line, column) in the file, both 1-based, of an offset into the body."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return self.body_line + index, offset - self._line_starts[index] + 1


def load_chapters(project: Project) -> tuple[list[Chapter], list[Finding]]:
    chapters: list[Chapter] = []
    findings: list[Finding] = []
    numbers: dict[int, Path] = {}
    for position, path in enumerate(project.chapter_paths, start=1):
        chapter, problems = load_chapter(path, position)
        findings += problems
        if chapter is None:
            continue
        if chapter.number is not None:
            if chapter.number in numbers:
                other = numbers[chapter.number].name
                findings.append(Finding("M006", path, 2, 0, f"number {chapter.number} is also chapter {other}'s"))
            numbers[chapter.number] = path
        chapters.append(chapter)
    return chapters, findings


def load_chapter(path: Path, position: int) -> tuple[Chapter | None, list[Finding]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return None, [Finding("M005", path, line, 0, f"not UTF-8 text ({exc.reason})", "save the file as UTF-8")]
    text = text.replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    if not match:
        hint = "start the file with '---', then 'title: ...' and 'number: ...', then '---'"
        return None, [Finding("M001", path, 1, 1, "no YAML front matter", hint)]
    try:
        meta = yamlfile.parse(match[1], path, first_line=2)
    except yamlfile.YamlError as exc:
        return None, [Finding("M001", path, exc.line, 0, exc.message)]
    if not isinstance(meta, yamlfile.LineDict):
        return None, [Finding("M001", path, 2, 1, "front matter must be a mapping (title: ..., number: ...)")]
    findings = []
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        findings.append(Finding("M002", path, meta.line_of("title"), 1, "front matter has no title"))
    number = meta.get("number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        findings.append(Finding("M003", path, meta.line_of("number"), 1, f"number: '{number}' is not a whole number"))
    if findings:
        return None, findings
    body_line = text[: match.end()].count("\n") + 1
    chapter = Chapter(path, position, str(title).strip(), number, text[match.end() :], body_line)
    return chapter, []


def lint_markup(chapter: Chapter, manuscript: Path) -> list[Finding]:
    """Markup that would not reach the reader as the author meant. Image paths are relative to
    the manuscript folder."""
    from folio.checks import markup  # raw HTML and TeX, Liquid tags and URLs have a module of their own

    findings = markup.lint(chapter)
    for match in IMAGE.finditer(chapter.masked_body):
        if not match[1].strip():
            hint = "describe the image between the brackets: ![A map of Syria](map.png)"
            findings.append(Finding("M007", chapter.path, *chapter.position_of(match.start()), "image has no alt text", hint))
        path = manuscript / match[2]
        if not path.resolve().is_relative_to(manuscript.resolve()) or not path.is_file():
            hint = "image paths are relative to manuscript/, and the image must be inside it"
            findings.append(Finding("M009", chapter.path, *chapter.position_of(match.start(2)), f"no such image: {match[2]}", hint))
        elif path.suffix.lower() not in IMAGE_TYPES:
            hint = f"use one of {', '.join(IMAGE_TYPES)}"
            findings.append(
                Finding("M010", chapter.path, *chapter.position_of(match.start(2)), f"not an image type e-readers show: {match[2]}", hint)
            )
    return findings
