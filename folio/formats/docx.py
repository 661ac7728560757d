"""The review copy for editors who work in Word: OUT/<slug>-review.docx.

Editorial changes (and, with --against, the redline) become real Word tracked changes, comments
become Word comments, and the notes become Word endnotes. Pandoc's DOCX writer does the first two
from spans (see critic.docx_spans); it only writes footnotes, so they are turned into endnotes here.
"""

from __future__ import annotations

import io
import re
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from folio.errors import ConfigError
from folio.project.config import Project
from folio.project.manuscript import Chapter
from folio.text import critic
from folio.text.math import gather_line_breaks
from folio.text.pandoc import READER, run
from folio.tools import version

# Parts of the package that name footnotes, and what each name becomes for endnotes.
RENAMES = [
    (b"w:footnoteReference", b"w:endnoteReference"),
    (b"w:footnotePr", b"w:endnotePr"),
    (b"<w:footnotes ", b"<w:endnotes "),
    (b"</w:footnotes>", b"</w:endnotes>"),
    (b"<w:footnote ", b"<w:endnote "),
    (b"<w:footnote>", b"<w:endnote>"),
    (b"</w:footnote>", b"</w:endnote>"),
    (b"<w:footnote/>", b"<w:endnote/>"),
    (b"footnotes.xml", b"endnotes.xml"),
    (b"wordprocessingml.footnotes+xml", b"wordprocessingml.endnotes+xml"),
    (b"relationships/footnotes", b"relationships/endnotes"),
]


def render(project: Project, chapters: list[Chapter], text: Callable[[Chapter], str]) -> bytes:
    """The whole book as one Word document; `text` gives each chapter's Markdown with its marks."""
    author, date = _author(project)
    parts = []
    for chapter in chapters:
        heading = f"{chapter.label}: {chapter.title}" if chapter.label else chapter.title
        body, _ = gather_line_breaks(chapter, text(chapter))  # HOOK(mathcode): bare \\ display lines, as in the book
        parts.append(f"# {heading}\n\n{body}")
    markdown = critic.docx_spans("\n\n".join(parts), author, date)
    config = project.config
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "review.docx"
        run(
            [
                # HOOK(mathcode): the chapters' reader (with \(...\) and \\(...\\) math), not a copy of it.
                f"--from={READER}",
                "--to=docx",
                "--citeproc",
                f"--bibliography={project.bibliography_path}",
                f"--csl={project.csl_path}",
                "--metadata=suppress-bibliography=true",
                f"--metadata=lang={config.language}",
                f"--metadata=title={config.title}",
                f"--metadata=author={config.author}",
                f"--output={target}",
            ],
            markdown,
        )
        return endnotes(target.read_bytes())


def endnotes(docx: bytes) -> bytes:
    """The same document with its footnotes as endnotes (notes go at the end, as in the book)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith((".xml", ".rels")):
                for old, new in RENAMES:
                    data = data.replace(old, new)
            name = info.filename.replace("footnotes.xml", "endnotes.xml")
            target.writestr(zipfile.ZipInfo(name, info.date_time), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _author(project: Project) -> tuple[str, str]:
    """Who made the changes, for Word's tracked changes: the last commit to the manuscript."""
    try:
        name, date = version.last_author(project.root, "HEAD", "manuscript")
    except ConfigError:
        return "Folio", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(project.build_time()))
    return name, re.sub(r"\+00:00$", "Z", date)
