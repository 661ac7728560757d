"""The only place that runs Pandoc: one chapter of Markdown in, one HTML fragment out.

Citations become numbered notes, or in-text citations linked to a reference list, in the configured
CSL style (text/citestyle.py); raw HTML and TeX are read, and text/markup.lua keeps only what the
manuscript check allows (checks/markup.py); Pandoc runs sandboxed, reading only the files named here.
Fragments are cached by the hash of everything that goes into them.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from folio import __version__, progress
from folio.errors import ToolError
from folio.formats.output import write_atomic
from folio.text import markup

if TYPE_CHECKING:
    from folio.text.citestyle import Citeproc

READER = "markdown-raw_attribute+tex_math_single_backslash+tex_math_double_backslash+autolink_bare_uris"
"""Raw HTML and TeX are read (so a comment ends a list, <sup> is an element); the markup filter
(text/markup.py) renders the safe ones and drops the rest. Inline math may also be written
\\(...\\) or \\\\(...\\\\) (MathJax's forms, common in web manuscripts).
A bare URL is a link, so that it breaks only where a URL may, never by hyphenation."""


@cache
def pandoc_path() -> str:
    import pypandoc

    return str(pypandoc.get_pandoc_path())


@cache
def pandoc_version() -> str:
    out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0]


@dataclass(frozen=True)
class Conversion:
    html: str
    warnings: list[str]


def arguments(
    *,
    reader: str = READER,
    writer: str = "html5",
    citeproc: Sequence[str] = (),
    language: str | None = None,
    id_prefix: str | None = None,
    metadata: dict[str, str] | None = None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """Pandoc's command line, built one way for every conversion: sandboxed (it reads only the
    files named here), with `citeproc`'s options (text/citestyle.py) when there are citations."""
    command = [f"--from={reader}", f"--to={writer}", "--sandbox", *citeproc]
    command += [f"--metadata={key}={value}" for key, value in (metadata or {}).items()]
    if language:
        command.append(f"--metadata=lang={language}")
    if id_prefix:
        command.append(f"--id-prefix={id_prefix}")
    return [*command, *extra]


def chapter_to_html(body: str, id_prefix: str, language: str, citeproc: Citeproc, cache_dir: Path | None) -> Conversion:
    """Pandoc's HTML5 for one chapter body, notes at the end, every id prefixed. `citeproc` says
    which sources, which style and whether a reference list is wanted (text/citestyle.py)."""
    command = arguments(
        citeproc=[*citeproc.arguments(), *markup.filter_arguments()],  # the filter sees citeproc's links
        language=language,
        id_prefix=id_prefix,
        # Quotations as <q>: fragment.py sets them with the marks of their language (Pandoc's HTML
        # writer would print English curly quotes whatever `lang` says).
        # Math as MathML, with its TeX kept in an annotation: the EPUB shows it, print draws it
        # (render/math.py), and a formula Pandoc cannot read is reported (text/math.py).
        extra=("--section-divs", "--wrap=none", "--html-q-tags", "--mathml"),
    )
    key = _cache_key(command, body, citeproc)
    cached = cache_dir / f"{key}.html" if cache_dir else None
    progress.cache("pandoc", bool(cached and cached.is_file()))  # HOOK(speed): cache hits in the report and on the terminal
    if cached and cached.is_file():
        return Conversion(cached.read_text(encoding="utf-8"), [])
    output, warnings = run(command, markup.read_html_blocks(markup.strip_liquid(body)))
    if cached and not warnings:  # a temporary file of its own: the preview and a build may convert at once
        write_atomic(cached, output.encode("utf-8"))
    return Conversion(output, warnings)


def html_to_markdown(html: str) -> str:
    """HTML read by Pandoc's HTML reader (MathJax's \\(x\\) is math), written as the Markdown Folio
    reads, with no raw HTML left: for HTML blocks in a chapter (text/markup.py) and `folio import`.
    Written for a smart reader (`-smart`), so straight quotes become typographic ones, as in the text."""
    markdown, _ = run(["--from=html+tex_math_single_backslash", "--to=markdown-raw_html-smart", "--wrap=none"], html)
    return markdown


def bibliography_html(keys: list[str], language: str, citeproc: Citeproc) -> str:
    """The bibliography entries of these sources, formatted in the style, as an HTML fragment."""
    if not keys:
        return ""
    document = "---\nnocite: |\n  " + ", ".join(f"@{key}" for key in keys) + "\n---\n"
    sources = [*citeproc.sources(), *markup.filter_arguments()]
    command = arguments(reader="markdown", citeproc=sources, language=language, id_prefix="uncited-", extra=("--wrap=none",))
    output, _ = run(command, document)
    return output


def html_to_docx(html: str, language: str, resources: Path) -> bytes:
    """A Word document from HTML (Pandoc's HTML reader, then its DOCX writer); images from `resources`."""
    # The markup filter: a page-break div becomes Word's page break, link targets stay encoded.
    extra = (*markup.filter_arguments(), f"--resource-path={resources}", "--output=-")
    command = arguments(reader="html", writer="docx", language=language, extra=extra)
    output, _ = _run(command, html.encode("utf-8"))
    return output


def csljson(path: Path, kind: str) -> str:
    """A BibTeX or BibLaTeX file's entries as CSL JSON, as citeproc will see them (ToolError, with
    Pandoc's message and line, when the file does not parse)."""
    output, _ = run([*arguments(reader=kind, writer="csljson"), str(path)])
    return output


def run(arguments: list[str], stdin: str = "") -> tuple[str, list[str]]:
    """Run pandoc with these arguments; return its stdout and its warnings (stderr lines)."""
    output, warnings = _run(arguments, stdin.encode("utf-8"))
    return output.decode("utf-8"), warnings


RUNTIME = ["+RTS", "-H1m", "-RTS"]
"""Pandoc's Haskell runtime starts with a small heap instead of the 64 MB its build asks for (and
grows it as a document needs): a chapter's conversion 184 -> 127 MB resident, forty chapters' at
once 181 -> 148 MB, in the same time. Two conversions side by side were a cold build's peak."""


def _run(arguments: list[str], stdin: bytes) -> tuple[bytes, list[str]]:
    command = [pandoc_path(), *RUNTIME, *arguments]
    result = subprocess.run(command, input=stdin, capture_output=True)
    stderr = result.stderr.decode("utf-8", errors="replace")
    if result.returncode != 0:
        raise ToolError(command, result.returncode, stderr)
    return result.stdout, split_warnings(stderr)


def split_warnings(stderr: str) -> list[str]:
    """Pandoc's warnings, one string each: a warning's indented continuation lines (the TeX of a
    formula it could not convert, the parser's message) belong to it."""
    found: list[str] = []
    for line in stderr.splitlines():
        if not line.strip():
            continue
        if found and line.startswith((" ", "\t")) and found[-1].startswith("[WARNING]"):
            found[-1] += "\n" + line
        else:
            found.append(line)
    return found


def _cache_key(command: list[str], body: str, citeproc: Citeproc) -> str:
    digest = hashlib.sha256()
    for part in (__version__, pandoc_version(), *command, body):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(markup.FILTER.read_bytes() + b"\0")
    for bibliography in citeproc.bibliographies:
        digest.update(bibliography.read_bytes() + b"\0")
    digest.update(citeproc.csl.read_bytes())
    return digest.hexdigest()[:32]
