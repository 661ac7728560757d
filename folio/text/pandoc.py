"""The only place that runs Pandoc: chapters of Markdown in, HTML fragments out (many chapters to a
process: text/chapters.lua).

Citations become numbered notes, or in-text citations linked to a reference list, in the configured
CSL style (text/citestyle.py); raw HTML and TeX are read, and text/markup.lua keeps only what the
manuscript check allows (checks/markup.py); Pandoc runs sandboxed, reading only the files named here.
Fragments are cached by the hash of everything that goes into them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    """The Pandoc of the pypandoc-binary wheel (the version requirements.lock pins), found without
    importing pypandoc, which takes 0.04 s and runs every `pandoc` it can find to choose one; where
    the wheel has none, pypandoc's choice."""
    spec = importlib.util.find_spec("pypandoc")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "files" / "pandoc"
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    import pypandoc

    return str(pypandoc.get_pandoc_path())


@cache
def pandoc_version() -> str:
    out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0]


@cache
def abbreviations() -> list[str]:
    """Pandoc's list of abbreviations (its data file, which its command line reads): after one, a
    space does not end a sentence and is kept unbroken."""
    out = subprocess.run([pandoc_path(), "--print-default-data-file", "abbreviations"], capture_output=True, text=True, check=True)
    return out.stdout.split()


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


CHAPTERS = Path(__file__).with_name("chapters.lua")
"""The script that converts chapters in one Pandoc process: the options a chapter is converted with are there."""


@dataclass(frozen=True)
class Body:
    """One chapter's body as Pandoc reads it, the prefix of every id in its HTML, its language."""

    markdown: str
    id_prefix: str
    language: str | None


def chapters_to_html(
    chapters: list[Body], citeproc: Citeproc, cache_dir: Path | None, meanwhile: Callable[[], object] | None = None
) -> list[Conversion]:
    """Pandoc's HTML5 for each chapter body, notes at the end, every id prefixed. `citeproc` says
    which sources, which style and whether a reference list is wanted (text/citestyle.py).

    What text/chapters.lua does with each chapter is what `pandoc --citeproc --lua-filter=markup.lua
    --section-divs --wrap=none --html-q-tags --mathml` did: quotations as <q> (fragment.py sets them
    with the marks of their language; Pandoc's writer would print English curly quotes whatever
    `lang` says); math as MathML with its TeX kept in an annotation (the EPUB shows it, print draws
    it, render/math.py; a formula Pandoc cannot read is reported, text/math.py). The chapters not in
    `cache_dir` are converted in one Pandoc process per core: a process of its own for each spent
    more time starting citeproc than converting (0.15 s against 0.05 s for a chapter). `meanwhile`
    is run in this thread while they convert (run all the same when every chapter was cached)."""
    job = {
        "reader": READER,
        "filter": str(markup.FILTER),
        "bibliographies": [str(path) for path in citeproc.bibliographies],
        "csl": str(citeproc.csl),
        "in_text": citeproc.in_text,
    }
    context = _conversion_key(job, citeproc)
    paths = [cache_dir / f"{_cache_key(context, chapter)}.html" if cache_dir else None for chapter in chapters]
    results: dict[int, Conversion] = {}
    for index, path in enumerate(paths):
        progress.cache("pandoc", bool(path and path.is_file()))  # HOOK(speed): cache hits in the report and on the terminal
        if path and path.is_file():
            results[index] = Conversion(path.read_text(encoding="utf-8"), [])
    missing = [index for index in range(len(chapters)) if index not in results]
    workers = min(os.cpu_count() or 1, len(missing))
    batches = [missing[at::workers] for at in range(workers)]
    asked = {**job, "abbreviations": abbreviations()} if batches else job  # asked here once, not by each thread at once
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:  # Pandoc runs as a subprocess: threads wait for it
        running = [pool.submit(lambda batch: _convert(asked, [_chapter_entry(chapters[i]) for i in batch]), batch) for batch in batches]
        if meanwhile is not None:
            meanwhile()
        converted = [conversion.result() for conversion in running]
    for batch, conversions in zip(batches, converted, strict=True):
        for index, conversion in zip(batch, conversions, strict=True):
            path = paths[index]
            if path and not conversion.warnings:  # a temporary file of its own: the preview and a build may convert at once
                write_atomic(path, conversion.html.encode("utf-8"))
            results[index] = conversion
    return [results[index] for index in range(len(chapters))]


def _chapter_entry(chapter: Body) -> dict[str, str]:
    """A chapter as chapters.lua reads it. Pandoc's command line turns tabs into spaces (to the next
    multiple of four columns) before its reader sees the text; its reader called from Lua does not."""
    markdown = markup.read_html_blocks(markup.strip_liquid(chapter.markdown)).expandtabs(4)
    entry = {"markdown": markdown, "id_prefix": chapter.id_prefix}
    if chapter.language:
        entry["lang"] = chapter.language
    return entry


def _convert(job: dict[str, Any], entries: list[dict[str, str]]) -> list[Conversion]:
    """These chapters converted by text/chapters.lua in one Pandoc process (ToolError for the first
    that Pandoc could not convert)."""
    command = [pandoc_path(), *RUNTIME, "lua", str(CHAPTERS)]
    request = {**job, "chapters": entries}  # with Pandoc's abbreviations (its version is in the cache key)
    output, _ = _run_command(command, json.dumps(request).encode("utf-8"))
    conversions = []
    for result in json.loads(output):
        warnings = list(result.get("warnings") or [])
        if "error" in result:
            raise ToolError(command, 1, "\n".join([*warnings, str(result["error"])]))
        conversions.append(Conversion(str(result["html"]), warnings))
    return conversions


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
    return _run_command([pandoc_path(), *RUNTIME, *arguments], stdin)


def _run_command(command: list[str], stdin: bytes) -> tuple[bytes, list[str]]:
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


def _conversion_key(job: dict[str, Any], citeproc: Citeproc) -> str:
    """What every chapter's conversion depends on besides its text: Folio's and Pandoc's versions,
    the options, the script and the filter, the sources and the style."""
    digest = hashlib.sha256()
    for part in (__version__, pandoc_version(), json.dumps(job, sort_keys=True)):
        digest.update(part.encode("utf-8") + b"\0")
    for path in (CHAPTERS, markup.FILTER, *citeproc.bibliographies, citeproc.csl):
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _cache_key(context: str, chapter: Body) -> str:
    text = f"{context}\0{chapter.id_prefix}\0{chapter.language}\0{chapter.markdown}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
