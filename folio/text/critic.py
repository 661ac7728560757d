"""Editorial marks (CriticMarkup) in a chapter: found, checked, and resolved before Pandoc.

    {++inserted++}  {--deleted--}  {~~old~>new~~}  {==highlighted==}{>>comment<<}

`scan` and `parse` locate marks (checks/marks.py reports them); `apply` rewrites a chapter body
before Pandoc sees it: "accept" or "reject" the changes for the book, or "markup" them as spans for
the review copies (the draft, and the Word copy, which makes tracked changes of the spans).
Code spans and blocks are left alone, as is a mark whose opening brace is escaped (`\\{++`).

Lines: "markup" keeps every line where it was, so Pandoc's line numbers still point into the
source. "accept" and "reject" do not: resolved text takes its line breaks with it.

Two places where a span does not work as written, and what is done instead:
- a citation's locator and suffix are plain text to citeproc, which flattens spans in them
  (`p. [3]{.critic-del}[4]{.critic-ins}` prints "34"), and Pandoc's writers print unprocessed
  citations as raw text: a citation holding marks is shown whole, the old one deleted and the
  new one inserted, its comments after it;
- a bracketed span right after `]` or `!` is read as a reference link or an image
  (`^[note][.]{.critic-ins}` loses both the note and the span): there the span is written as
  Pandoc's native `<span class="...">`, which the Markdown reader accepts with raw HTML off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from folio.checks.citations import KEY
from folio.project.manuscript import Chapter, mask_code

KINDS = {
    "++": ("insertion", "++}"),
    "--": ("deletion", "--}"),
    "~~": ("substitution", "~~}"),
    "==": ("highlight", "==}"),
    ">>": ("comment", "<<}"),
}
OPENER = re.compile(r"(?<!\\)(?:\\\\)*\{(\+\+|--|~~|==|>>)")
MODES = ("accept", "reject", "markup")

BLANK_LINE = re.compile(r"\n[ \t]*\n")
# A mark at the start of a line that takes in the line's block syntax turns it into text.
BLOCK_START = re.compile(r"[ \t]*(?:#{1,6}[ \t]|[-*+][ \t]|\d+[.)][ \t]|>)")
# An innermost bracket group that is not a note, link, image or span: a citation if it holds a key.
BRACKETS = re.compile(r"(?<![\\^!\]])\[[^\[\]]*\](?![(\[{])")


@dataclass(frozen=True)
class Mark:
    kind: str
    """insertion, deletion, substitution, highlight or comment."""
    parts: tuple[str, ...]
    """The text between the delimiters: (text,), or (old, new) for a substitution."""
    start: int
    """Offset of the opening brace in the body."""
    end: int
    """Offset just past the closing brace."""
    line: int = 0
    col: int = 0

    @property
    def excerpt(self) -> str:
        text = " ~> ".join(" ".join(part.split()) for part in self.parts)
        return text if len(text) <= 60 else text[:59] + "…"


@dataclass(frozen=True)
class Problem:
    """A mark left open or placed where it cannot work: a finding code, its offset and message."""

    offset: int
    code: str
    message: str
    hint: str = ""


def scan(chapter: Chapter) -> list[Mark]:
    """Every well-formed mark in the chapter, in order, with its line and column in the file."""
    marks, _ = parse(chapter.body, chapter.masked_body)
    return [Mark(m.kind, m.parts, m.start, m.end, *chapter.position_of(m.start)) for m in marks]


def parse(body: str, masked: str) -> tuple[list[Mark], list[Problem]]:
    """Marks found in `masked` (code blanked), their text taken from `body`. Marks do not nest."""
    marks: list[Mark] = []
    problems: list[Problem] = []
    pos = 0
    while match := OPENER.search(masked, pos):
        start = match.end() - 3
        kind, closer = KINDS[match[1]]
        close = masked.find(closer, match.end())
        following = OPENER.search(masked, match.end())
        if close < 0 or (following and following.end() - 3 < close):
            hint = f"close it with '{closer}'"
            problems.append(Problem(start, "K002", f"{kind} opened with '{{{match[1]}' is not closed", hint))
            pos = match.end()
            continue
        pos = close + 3
        if kind == "substitution":
            arrow = masked.find("~>", match.end(), close)
            if arrow < 0:
                message = "substitution has no '~>' between the old and the new text"
                problems.append(Problem(start, "K003", message, "write {~~old~>new~~}"))
                continue
            parts: tuple[str, ...] = (body[match.end() : arrow], body[arrow + 2 : close])
            masked_parts = [masked[match.end() : arrow], masked[arrow + 2 : close]]
        else:
            parts = (body[match.end() : close],)
            masked_parts = [masked[match.end() : close]]
        mark = Mark(kind, parts, start, pos)
        marks.append(mark)
        problems += _misplaced(mark, masked, masked_parts)
    return marks, problems


def _misplaced(mark: Mark, masked: str, parts: list[str]) -> list[Problem]:
    problems = []
    if any(BLANK_LINE.search(part) for part in parts):
        hint = "a mark stays within one paragraph: mark each paragraph on its own"
        problems.append(Problem(mark.start, "K003", f"{mark.kind} spans a paragraph break", hint))
    if any(_unbalanced(part) for part in parts):
        hint = "mark the whole [...] or only text inside it; write \\[ or \\] for a literal bracket"
        problems.append(Problem(mark.start, "K003", f"{mark.kind} cuts across a link, citation or note bracket", hint))
    line_start = masked.rfind("\n", 0, mark.start) + 1
    if not masked[line_start : mark.start].strip() and BLOCK_START.match(parts[0]):
        hint = "start the mark after the heading, list or quote marker: # {++Title++}"
        problems.append(Problem(mark.start, "K003", f"{mark.kind} takes in the block marker at the start of the line", hint))
    return problems


def _unbalanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"\\.", "", text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth < 0:
            return True
    return depth != 0


# Resolving -------------------------------------------------------------------------------------


def apply(body: str, mode: str) -> str:
    """The body with every mark resolved: "accept" or "reject" the changes, or "markup" them.

    Accept keeps insertions and the new side of substitutions, reject the deleted and old text;
    both keep highlighted text plain and drop comments. Markup writes spans for the draft:
    [text]{.critic-ins}, [text]{.critic-del}, a substitution as both, [text]{.critic-mark},
    [comment]{.critic-comment data-n="N"} numbered from 1, and a highlight followed by a comment
    gets data-comment="N". Marks that are not well formed stay as they are (`lint` reports them).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "markup":
        return _spans(body, _Draft())
    marks, _ = parse(body, mask_code(body))
    out, pos = [], 0
    for mark in marks:
        before, text = body[pos : mark.start], _resolve(mark, accept=mode == "accept")
        if not text and before.endswith((" ", "\t")) and body[mark.end : mark.end + 1] in (" ", "", ".", ",", ";", ":", "!", "?", ")"):
            before = before.rstrip(" \t")  # "ok {>>comment<<}." reads "ok.", not "ok ."
        out += [before, text]
        pos = mark.end
    return "".join([*out, body[pos:]])


def _resolve(mark: Mark, accept: bool) -> str:
    if mark.kind == "insertion":
        return mark.parts[0] if accept else ""
    if mark.kind == "deletion":
        return "" if accept else mark.parts[0]
    if mark.kind == "substitution":
        return mark.parts[1] if accept else mark.parts[0]
    return "" if mark.kind == "comment" else mark.parts[0]


class _Span(NamedTuple):
    text: str
    classes: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...] = ()


_Piece = _Span | str
"""What a writer returns: spans, and the text between them as it is."""


class _Draft:
    def change(self, role: str, text: str) -> list[_Piece]:
        return [_Span(text, (f"critic-{role}",))]

    def highlight(self, text: str) -> list[_Piece]:
        return [_Span(text, ("critic-mark",))]

    def comment(self, note: str, n: int, about: str | None) -> list[_Piece]:
        pieces: list[_Piece] = [_Span(about, ("critic-mark",), (("data-comment", str(n)),))] if about is not None else []
        return [*pieces, _Span(note, ("critic-comment",), (("data-n", str(n)),))]


def _spans(body: str, writer: _Draft) -> str:
    masked = mask_code(body)
    marks, _ = parse(body, masked)
    citations = [
        (g.start(), g.end())
        for g in BRACKETS.finditer(masked)
        if KEY.search(g[0]) and not any(m.start < edge < m.end - 1 for m in marks for edge in (g.start(), g.end() - 1))
    ]
    out: list[str] = []
    pos, count, i = 0, 0, 0
    while i < len(marks):
        mark = marks[i]
        group = next(((start, end) for start, end in citations if start < mark.start and mark.end < end), None)
        if group:
            start, end = group
            inside = [m for m in marks[i:] if m.end < end]
            old = _replace(body, start, end, inside, accept=False).replace("\n", " ")
            new = _replace(body, start, end, inside, accept=True)
            pieces = [*writer.change("del", old), *writer.change("ins", new)] if old != new else [new]
            for comment in (m for m in inside if m.kind == "comment"):
                count += 1
                pieces += writer.comment(comment.parts[0], count, None)
            _emit(out, [body[pos:start], *pieces])
            pos, i = end, i + len(inside)
            continue
        out.append(body[pos : mark.start])
        pos, i = mark.end, i + 1
        if mark.kind == "insertion":
            pieces = writer.change("ins", mark.parts[0])
        elif mark.kind == "deletion":
            pieces = writer.change("del", mark.parts[0])
        elif mark.kind == "substitution":
            pieces = [*writer.change("del", mark.parts[0]), *writer.change("ins", mark.parts[1])]
        elif mark.kind == "comment":
            count += 1
            pieces = writer.comment(mark.parts[0], count, None)
        elif i < len(marks) and marks[i].kind == "comment" and marks[i].start == mark.end:
            count += 1
            pieces = writer.comment(marks[i].parts[0], count, mark.parts[0])
            pos, i = marks[i].end, i + 1
        else:
            pieces = writer.highlight(mark.parts[0])
        _emit(out, pieces)
    out.append(body[pos:])
    return "".join(out)


def _replace(body: str, start: int, end: int, marks: list[Mark], accept: bool) -> str:
    out, pos = [], start
    for mark in marks:
        out += [body[pos : mark.start], _resolve(mark, accept)]
        pos = mark.end
    return "".join([*out, body[pos:end]])


def _emit(out: list[str], pieces: list[_Piece]) -> None:
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        # Pandoc drops a span's edge spaces, and a span cannot hold a paragraph break: keep the
        # spaces outside and write one span a paragraph.
        chunks = re.split(r"(\s*\n[ \t]*\n\s*)", piece.text) if piece.text.strip() else [piece.text]
        for index, chunk in enumerate(chunks):
            if index % 2:
                out.append(chunk)
                continue
            core = chunk.strip()
            out.append(chunk[: len(chunk) - len(chunk.lstrip())])
            out += [_span(_Span(core, piece.classes, piece.attributes), _tail(out)), chunk[len(chunk.rstrip()) :]]


def _tail(out: list[str]) -> str:
    """The last few characters written so far."""
    tail = ""
    for text in reversed(out):
        tail = text + tail
        if len(tail) > 8:
            break
    return tail


def _span(span: _Span, before: str) -> str:
    if re.search(r"(?<!\\)(?:\\\\)*[\]!]$", before):
        # Right after `]` or `!` a bracketed span reads as a reference link or an image.
        html = " ".join([f'class="{" ".join(span.classes)}"', *(f'{k}="{_html_quote(v)}"' for k, v in span.attributes)])
        return f"<span {html}>{span.text}</span>"
    pandoc = " ".join([*(f".{c}" for c in span.classes), *(f'{k}="{_quote(v)}"' for k, v in span.attributes)])
    return f"[{_escape_brackets(span.text)}]{{{pandoc}}}"


def _escape_brackets(text: str) -> str:
    """Escape the brackets that do not pair up, so that links and citations in the text still work."""
    opened: list[int] = []
    unpaired: set[int] = set()
    for match in re.finditer(r"\\.|[\[\]]", text):
        if match[0] == "[":
            opened.append(match.start())
        elif match[0] == "]":
            if opened:
                opened.pop()
            else:
                unpaired.add(match.start())
    unpaired.update(opened)
    escaped = "".join(f"\\{char}" if index in unpaired else char for index, char in enumerate(text))
    # A trailing lone backslash would escape the closing bracket.
    return escaped + "\\" if re.search(r"(?<!\\)(?:\\\\)*\\$", escaped) else escaped


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _html_quote(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
