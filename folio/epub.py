"""The EPUB 3: one XHTML file per chapter, rendered from the same fragments as the PDF.

Byte-reproducible: fixed zip timestamps and `dcterms:modified` taken from SOURCE_DATE_EPOCH or,
failing that, from the newest manuscript file, so an unchanged manuscript gives an identical file.
"""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import dataclass

from folio import templates
from folio.config import Project
from folio.fragment import Fragment

CONTAINER = """<?xml version="1.0" encoding="utf-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles>
<rootfile full-path="OEBPS/package.opf" media-type="application/oebps-package+xml"/>
</rootfiles>
</container>
"""


@dataclass(frozen=True)
class ChapterFile:
    fragment: Fragment
    href: str
    """Path of the chapter's XHTML file, relative to the package document."""


def chapter_files(fragments: list[Fragment]) -> list[ChapterFile]:
    return [ChapterFile(fragment, f"text/{fragment.chapter.id}.xhtml") for fragment in fragments]


def render(project: Project, fragments: list[Fragment]) -> bytes:
    book = project.config
    chapters = chapter_files(fragments)
    stamp = project.build_time()
    files: dict[str, str] = {
        "META-INF/container.xml": CONTAINER,
        "OEBPS/package.opf": templates.render(
            project.root, "package.opf.j2", book=book, chapters=chapters, modified=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))
        ),
        "OEBPS/nav.xhtml": templates.render(project.root, "nav.xhtml.j2", book=book, chapters=chapters),
        "OEBPS/css/epub.css": templates.render(project.root, "epub.css", book=book),
        "OEBPS/text/titlepage.xhtml": templates.render(project.root, "titlepage.xhtml.j2", book=book),
    }
    for item in chapters:
        xhtml = templates.render(project.root, "chapter.xhtml.j2", book=book, fragment=item.fragment, chapter=item.fragment.chapter)
        files[f"OEBPS/{item.href}"] = xhtml
    return _zip(files, stamp)


def _zip(files: dict[str, str], stamp: float) -> bytes:
    date_time = time.gmtime(max(stamp, 315532800))[:6]  # zip cannot store dates before 1980
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # The mimetype comes first and uncompressed, as the OCF container spec requires.
        archive.writestr(zipfile.ZipInfo("mimetype", date_time), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time)
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
