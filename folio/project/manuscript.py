"""Chapters on disk: front matter, body text, and where the body starts in the file."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from folio.checks import limits
from folio.checks.findings import Finding
from folio.project import contain, yamlfile
from folio.project.config import Project
from folio.text import headings as heading_scheme
from folio.text import words

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


@lru_cache(maxsize=256)
def mask_code(text: str) -> str:
    """Blank out code blocks and spans, keeping every line and column where it was. The checks ask
    for each chapter's text masked some nine times: the last 256 texts' are kept (a book of 160
    chapters of 30 kB: some 10 MB)."""

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
    short_title: str = ""
    """`short_title:` of the front matter: the running head, the draft header and the EPUB nav's label."""
    language: str = "en-US"
    """The chapter's language: its front matter's `language:`, else the book's."""
    role: str = "body"
    """Where the part stands: "front" (book.yaml `front:`), "body" (`chapters:`) or "back" (`back:`)."""
    kind: str = ""
    """What a front or back part is (preface, dedication, appendix, ...): its epub:type and DPUB-ARIA role."""

    @property
    def id(self) -> str:
        """Prefix of every id in this chapter's HTML: ids stay unique when chapters are joined."""
        return f"ch{self.position:02d}"

    @property
    def label(self) -> str:
        if self.number is None or self.role != "body":
            return ""
        return f"{words.word('chapter', self.language)} {self.number}"

    @property
    def running_head(self) -> str:
        """What the running head and the draft header print: the short title, else the title."""
        return self.short_title or self.title

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
    roles = part_roles(project)
    for position, path in enumerate(project.chapter_paths, start=1):
        # A book of one untitled text (an article, a thesis in one file) may take the book's title.
        sole = project.config.title if len(project.chapter_paths) == 1 else ""
        too_big = limits.chapter_too_big(path)  # before it is read: a 10 MB chapter would take minutes to check
        if too_big:
            findings.append(too_big)
            continue
        chapter, problems = load_chapter(path, position, project.config.language, roles.get(path, "body"), sole)
        findings += problems
        if chapter is None:
            continue
        if chapter.number is not None and chapter.role == "body":
            if chapter.number in numbers:
                other = numbers[chapter.number].name
                findings.append(Finding("M006", path, 2, 0, f"number {chapter.number} is also chapter {other}'s"))
            numbers[chapter.number] = path
        chapters.append(chapter)
    return chapters, findings


def part_roles(project: Project) -> dict[Path, str]:
    """Which files are front matter and which back matter (book.yaml `front:` and `back:`)."""
    manuscript = project.manuscript_dir
    roles = {manuscript / name: "front" for name in project.config.front}
    roles.update({manuscript / name: "back" for name in project.config.back})
    return roles


# What a front or back part is, read from its front matter's `type:` or from its file name.
FRONT_KINDS = ("dedication", "epigraph", "foreword", "preface", "acknowledgments", "introduction", "prologue")
BACK_KINDS = ("appendix", "afterword", "epilogue", "acknowledgments", "glossary", "bibliography", "conclusion")
KIND_ALIASES = {"acknowledgements": "acknowledgments", "appendices": "appendix", "intro": "introduction"}


def part_kind(role: str, declared: object, path: Path) -> str:
    kinds = FRONT_KINDS if role == "front" else BACK_KINDS if role == "back" else ()
    candidates = [str(declared).lower()] if isinstance(declared, str) else re.split(r"[^a-z]+", path.stem.lower())
    for candidate in candidates:
        candidate = KIND_ALIASES.get(candidate, candidate)
        if candidate in kinds:
            return candidate
    return "appendix" if role == "back" else ""


def load_chapter(
    path: Path, position: int, language: str = "en-US", role: str = "body", book_title: str = ""
) -> tuple[Chapter | None, list[Finding]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return None, [Finding("M005", path, line, 0, f"not UTF-8 text ({exc.reason})", "save the file as UTF-8")]
    text = text.replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    if not match:
        return title_from_text(path, position, text, language, role, book_title)
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
    for key in ("short_title", "language"):
        value = meta.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            findings.append(Finding("M001", path, meta.line_of(key), 1, f"{key}: must be text"))
    chapter_language = str(meta.get("language") or language).strip()
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", chapter_language):
        hint = "a language tag such as de-DE"
        findings.append(Finding("M001", path, meta.line_of("language"), 1, f"language: '{chapter_language}' is not a language tag", hint))
    if findings:
        return None, findings
    body_line = text[: match.end()].count("\n") + 1
    chapter = Chapter(
        path,
        position,
        str(title).strip(),
        number,
        text[match.end() :],
        body_line,
        short_title=str(meta.get("short_title") or "").strip(),
        language=chapter_language,
        role=role,
        kind=part_kind(role, meta.get("type"), path),
    )
    return chapter, []


PERCENT_TITLE = re.compile(r"\A%[ \t]*(.*(?:\n[ \t]+\S.*)*)\n(?:%.*(?:\n[ \t]+\S.*)*\n)*")
MMD_BLOCK = re.compile(r"\A(?:[A-Za-z][\w -]*:[ \t]*\S.*\n)+")


def title_from_text(
    path: Path, position: int, text: str, language: str, role: str, book_title: str = ""
) -> tuple[Chapter | None, list[Finding]]:
    """A chapter without YAML front matter, as many existing manuscripts are: its title comes from
    a Pandoc title block (`% Title`), a MultiMarkdown `Title:` line, or its first heading; when
    its headings are all sections (several at the top level) and it is the book's only text, from
    the book's title. Said in a note, so the author knows where the title came from."""
    hint = "add front matter: '---', then 'title: ...' (and 'number: ...'), then '---'"
    percent = PERCENT_TITLE.match(text)
    mmd = MMD_BLOCK.match(text)
    mmd_title = re.search(r"^title:[ \t]*(.+)$", mmd[0], re.I | re.M) if mmd else None
    if percent and percent[1].strip():
        title = " ".join(percent[1].split())
        body_start, source = percent.end(), "its % title block"
        body = text[body_start:]
    elif mmd and mmd_title:
        title = mmd_title[1].strip()
        body_start, source = mmd.end(), "its 'title:' line"
        body = text[body_start:]
    else:
        masked = mask_code(text)
        found = heading_scheme.source_headings(masked)
        if not found:
            return None, [Finding("M001", path, 1, 1, "no front matter and no heading to take a title from", hint)]
        first = found[0]
        title, body_start, body = first.text, 0, text
        top = [h for h in found if h.level <= first.level]
        if len(top) == 1 and not masked[: first.start].strip():
            # A lone top heading before any text is the chapter's title, not a section: blank it
            # out (line numbers stay as they are).
            body = text[: first.start] + re.sub(r"[^\n]", "", text[first.start : first.end]) + text[first.end :]
            source = f"its first heading (line {text[: first.start].count(chr(10)) + 1})"
        elif book_title:
            title, source = book_title, "the book's title (its headings are all sections, and it is the book's only text)"
        else:
            source = f"its first heading (line {text[: first.start].count(chr(10)) + 1}), which stays a section"
    body_line = text[:body_start].count("\n") + 1
    chapter = Chapter(path, position, title, None, body, body_line, language=language, role=role, kind=part_kind(role, None, path))
    return chapter, [Finding("M012", path, 1, 1, f"no front matter: the title '{title}' is taken from {source}", hint)]


def lint_markup(chapter: Chapter, manuscript: Path) -> list[Finding]:
    """Markup that would not reach the reader as the author meant. Image paths are relative to
    the manuscript folder."""
    from folio.checks import markup  # raw HTML and TeX, Liquid tags and URLs have a module of their own

    findings = markup.lint(chapter, manuscript)  # HOOK(dialects): figures in other dialects are looked for in manuscript/
    for match in IMAGE.finditer(chapter.masked_body):
        if not match[1].strip():
            hint = "describe the image between the brackets: ![A map of Syria](map.png)"
            findings.append(Finding("M007", chapter.path, *chapter.position_of(match.start()), "image has no alt text", hint))
        path = manuscript / match[2]
        where = chapter.position_of(match.start(2))
        if contain.is_remote(match[2]):
            hint = "download it into manuscript/images/ and name it by its path there"
            findings.append(Finding("S002", chapter.path, *where, f"remote image: {match[2]}", hint))
        elif match[2].lower().startswith("file:") or not contain.inside(path, manuscript.parent):
            hint = "image paths are relative to manuscript/; copy the image into the project"
            findings.append(Finding("S001", chapter.path, *where, f"image outside the project: {match[2]}", hint))
        elif not path.resolve().is_relative_to(manuscript.resolve()) or not path.is_file():
            hint = "image paths are relative to manuscript/, and the image must be inside it"
            findings.append(Finding("M009", chapter.path, *chapter.position_of(match.start(2)), f"no such image: {match[2]}", hint))
        elif path.suffix.lower() not in IMAGE_TYPES:
            hint = f"use one of {', '.join(IMAGE_TYPES)}"
            findings.append(
                Finding("M010", chapter.path, *chapter.position_of(match.start(2)), f"not an image type e-readers show: {match[2]}", hint)
            )
        elif too_big := limits.image_pixels(path):
            hint = "scale it down: 300 ppi at its printed size is all print needs"
            findings.append(Finding("Z003", chapter.path, *where, f"{match[2]}: {too_big}", hint))
    findings += limits.table_rows(chapter.path, chapter.masked_body, chapter.body_line)
    findings += limits.control_characters(chapter)
    return findings
