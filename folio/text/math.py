r"""TeX math in the manuscript: the formulas Pandoc could not convert, found in the chapter.

Pandoc turns `$...$`, `$$...$$` and `\\(...\\)` into MathML (`--mathml`, see text/pandoc.py).
A formula it cannot read it leaves as raw TeX, which every format would print as dollar signs
and backslashes, and it only says so on stderr, without a line: "Could not convert TeX math
<the TeX>, rendering as TeX: <where and why>". Here that warning becomes an error (M014) at
the formula's line in the chapter file.

One kind of formula is common in manuscripts written for MathJax and is rescued instead: a
display formula whose lines are separated by bare `\\` with no environment around them. MathJax
sets those as centred lines; so does Folio, by reading them as `\begin{gathered}...\end{gathered}`,
and says so (M015), so the author can make it explicit.
"""

from __future__ import annotations

import re

from folio.checks.findings import Finding
from folio.project.manuscript import Chapter, mask_code

WARNING = re.compile(r"\[WARNING\] Could not convert TeX math (?P<tex>.*?), rendering as TeX(?::\n(?P<detail>.*))?\Z", re.S)


DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)


def gather_line_breaks(chapter: Chapter, body: str) -> tuple[str, list[Finding]]:
    """The body Pandoc will read, with each display formula made of bare `\\`-separated lines
    wrapped in a `gathered` environment, and a warning for each (at its line in the chapter)."""
    masked = mask_code(body)
    edits, findings = [], []
    for match in DISPLAY.finditer(masked):
        tex = body[match.start(1) : match.end(1)]
        if "\\\\" not in tex or "\\begin" in tex:
            continue
        edits.append((match.start(1), match.end(1), f"\\begin{{gathered}}{tex}\\end{{gathered}}"))
        offset = _find(chapter.body, tex.strip(), 0)
        line, col = chapter.position_of(offset) if offset >= 0 else (chapter.body_line, 0)
        findings.append(
            Finding(
                "M015",
                chapter.path,
                line,
                col,
                "display formula with lines broken by \\\\ outside an environment: set as centred lines, as MathJax does",
                r"say so in the TeX: \begin{gathered} ... \end{gathered} (or aligned, to line up at &)",
            )
        )
    for start, end, text in reversed(edits):
        body = body[:start] + text + body[end:]
    return body, findings


def unconverted_math(chapter: Chapter, warnings: list[str]) -> tuple[list[Finding], list[str]]:
    """Findings for the formulas Pandoc could not convert, and the other warnings, untouched."""
    findings, rest = [], []
    start = 0
    for warning in warnings:
        match = WARNING.match(warning)
        if not match:
            rest.append(warning)
            continue
        tex = _unindent(match["tex"]).strip()
        detail = [line.strip() for line in _unindent(match["detail"] or "").splitlines()]
        offset = _find(chapter.body, tex, start)
        line, col = chapter.position_of(offset) if offset >= 0 else (chapter.body_line, 0)
        if offset >= 0:
            start = offset + 1  # the same formula twice: the next warning is the next one
            later = _error_line(tex, detail)
            if later:  # the error is on a later line of the formula: point at that line's text
                line += later
                text = chapter.body.splitlines()[line - chapter.body_line]
                col = len(text) - len(text.lstrip()) + 1
        reason = _reason(detail).split("; expecting")[0]
        shown = " ".join(tex.split())
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        findings.append(
            Finding(
                "M014",
                chapter.path,
                line,
                col,
                f"TeX math cannot be converted: {shown}" + (f" ({reason})" if reason else ""),
                _hint(tex),
            )
        )
    return findings, rest


def _unindent(text: str) -> str:
    """Pandoc indents every continuation line of a warning by two spaces."""
    return re.sub(r"\n  ", "\n", text)


def _find(body: str, tex: str, start: int) -> int:
    """Where the formula is in the chapter (whitespace may differ: Pandoc trims and re-indents)."""
    pattern = r"\s*".join(re.escape(token) for token in tex.split())
    match = re.compile(pattern).search(body, start) or re.compile(pattern).search(body)
    return match.start() if match else -1


def _error_line(tex: str, detail: list[str]) -> int:
    """Lines from the formula's first to the one Pandoc points at (the line above its caret)."""
    if "^" not in detail:
        return 0
    caret = detail.index("^")
    if caret == 0:
        return 0
    quoted = detail[caret - 1]
    lines = [line.strip() for line in tex.splitlines()]
    return lines.index(quoted) if quoted in lines else 0


def _reason(detail: list[str]) -> str:
    """The parser's complaint, without the quoted line and its caret."""
    if "^" in detail:
        detail = detail[detail.index("^") + 1 :]
    return "; ".join(line for line in detail if line)


def _hint(tex: str) -> str:
    if "\\\\" in tex and "\\begin" not in tex:
        return r"lines of a display formula go in an environment: \begin{aligned} a &= b \\ c &= d \end{aligned}"
    return "check the TeX: Pandoc reads the LaTeX math that MathJax and KaTeX read, without custom macros"
