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


def chapter_to_html(body: str, id_prefix: str, language: str, bibliography: Path, csl: Path, cache_dir: Path | None) -> Conversion:
    """Pandoc's HTML5 for one chapter body, notes at the end, every id prefixed."""
    command = [
        pandoc_path(),
        f"--from={READER}",
        "--to=html5",
        "--sandbox",
        "--citeproc",
        f"--bibliography={bibliography}",
        f"--csl={csl}",
        "--metadata=suppress-bibliography=true",
        f"--metadata=lang={language}",
        f"--id-prefix={id_prefix}",
        "--section-divs",
        "--wrap=none",
        # Math as MathML, with its TeX kept in an annotation: the EPUB shows it, print draws it
        # (folio/render/math.py), and a formula Pandoc cannot read is reported (text/math.py).
        "--mathml",
    ]
    key = _cache_key(command, body, bibliography, csl)
    cached = cache_dir / f"{key}.html" if cache_dir else None
    if cached and cached.is_file():
        return Conversion(cached.read_text(encoding="utf-8"), [])
    output, warnings = run(command[1:], body)
    if cached and not warnings:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temp = cached.with_suffix(".tmp")
        temp.write_text(output, encoding="utf-8")
        temp.replace(cached)
    return Conversion(output, warnings)


def run(arguments: list[str], stdin: str = "") -> tuple[str, list[str]]:
    """Run pandoc with these arguments; return its stdout and its warnings (stderr lines)."""
    command = [pandoc_path(), *arguments]
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        raise ToolError(command, result.returncode, result.stderr)
    return result.stdout, warnings(result.stderr)


def warnings(stderr: str) -> list[str]:
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


def _cache_key(command: list[str], body: str, bibliography: Path, csl: Path) -> str:
    digest = hashlib.sha256()
    for part in (__version__, pandoc_version(), *command[1:], body):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(bibliography.read_bytes() + b"\0")
    digest.update(csl.read_bytes())
    return digest.hexdigest()[:32]


def bibliography_html(keys: list[str], language: str, bibliography: Path, csl: Path) -> str:
    """The bibliography entries of these sources, formatted in the style, as an HTML fragment."""
    if not keys:
        return ""
    document = "---\nnocite: |\n  " + ", ".join(f"@{key}" for key in keys) + "\n---\n"
    arguments = ["--from=markdown", "--to=html5", "--sandbox", "--citeproc", f"--bibliography={bibliography}", f"--csl={csl}"]
    output, _ = run([*arguments, f"--metadata=lang={language}", "--id-prefix=uncited-", "--wrap=none"], document)
    return output
