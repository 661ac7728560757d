"""The only place that runs Pandoc: one chapter of Markdown in, one HTML fragment out.

Citations become numbered notes in the configured CSL style; raw HTML in the manuscript is
escaped (it never reaches an output); Pandoc runs sandboxed, reading only the files named here.
Fragments are cached by the hash of everything that goes into them.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from folio import __version__
from folio.errors import ToolError

# Inline math may also be written \(...\) or \\(...\\) (MathJax's forms, common in web
# manuscripts): math, not escaped parentheses or an escaped backslash and text. A bare URL is a
# link, so that it breaks only where a URL may (text/fragment.py), never by hyphenation.
READER = "markdown-raw_html-raw_attribute+tex_math_single_backslash+tex_math_double_backslash+autolink_bare_uris"


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


@dataclass(frozen=True)
class Sources:
    """What citeproc needs: the bibliography and the CSL style."""

    bibliography: Path
    csl: Path


def arguments(
    *,
    reader: str = READER,
    writer: str = "html5",
    sources: Sources | None = None,
    language: str | None = None,
    id_prefix: str | None = None,
    metadata: dict[str, str] | None = None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """Pandoc's command line, built one way for every conversion: sandboxed (it reads only the
    files named here), citations by citeproc when `sources` are given."""
    command = [f"--from={reader}", f"--to={writer}", "--sandbox"]
    if sources:
        command += ["--citeproc", f"--bibliography={sources.bibliography}", f"--csl={sources.csl}"]
    command += [f"--metadata={key}={value}" for key, value in (metadata or {}).items()]
    if language:
        command.append(f"--metadata=lang={language}")
    if id_prefix:
        command.append(f"--id-prefix={id_prefix}")
    return [*command, *extra]


def chapter_to_html(body: str, id_prefix: str, language: str, sources: Sources, cache_dir: Path | None) -> Conversion:
    """Pandoc's HTML5 for one chapter body, notes at the end, every id prefixed."""
    command = arguments(
        sources=sources,
        metadata={"suppress-bibliography": "true"},
        language=language,
        id_prefix=id_prefix,
        # Math as MathML, its TeX kept in an annotation: the EPUB shows it, print draws it
        # (render/math.py), and a formula Pandoc cannot read is reported (text/math.py).
        extra=("--section-divs", "--wrap=none", "--mathml"),
    )
    key = _cache_key(command, body, sources)
    cached = cache_dir / f"{key}.html" if cache_dir else None
    if cached and cached.is_file():
        return Conversion(cached.read_text(encoding="utf-8"), [])
    output, warnings = run(command, body)
    if cached and not warnings:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temp = cached.with_suffix(".tmp")
        temp.write_text(output, encoding="utf-8")
        temp.replace(cached)
    return Conversion(output, warnings)


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


def bibliography_html(keys: list[str], language: str, sources: Sources) -> str:
    """The bibliography entries of these sources, formatted in the style, as an HTML fragment."""
    if not keys:
        return ""
    document = "---\nnocite: |\n  " + ", ".join(f"@{key}" for key in keys) + "\n---\n"
    command = arguments(reader="markdown", sources=sources, language=language, id_prefix="uncited-", extra=("--wrap=none",))
    output, _ = run(command, document)
    return output


def html_to_docx(html: str, language: str, resources: Path) -> bytes:
    """A Word document from HTML (Pandoc's HTML reader, then its DOCX writer); images from `resources`."""
    command = arguments(reader="html", writer="docx", language=language, extra=(f"--resource-path={resources}", "--output=-"))
    output, _ = _run(command, html.encode("utf-8"))
    return output


def run(arguments: list[str], stdin: str = "") -> tuple[str, list[str]]:
    """Run pandoc with these arguments; return its stdout and its warnings (stderr lines)."""
    output, warnings = _run(arguments, stdin.encode("utf-8"))
    return output.decode("utf-8"), warnings


def _run(arguments: list[str], stdin: bytes) -> tuple[bytes, list[str]]:
    command = [pandoc_path(), *arguments]
    result = subprocess.run(command, input=stdin, capture_output=True)
    stderr = result.stderr.decode("utf-8", errors="replace")
    if result.returncode != 0:
        raise ToolError(command, result.returncode, stderr)
    return result.stdout, split_warnings(stderr)


def _cache_key(command: list[str], body: str, sources: Sources) -> str:
    digest = hashlib.sha256()
    for part in (__version__, pandoc_version(), *command, body):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(sources.bibliography.read_bytes() + b"\0")
    digest.update(sources.csl.read_bytes())
    return digest.hexdigest()[:32]
