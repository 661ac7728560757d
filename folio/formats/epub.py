"""The EPUB 3: one XHTML file per chapter, rendered from the same fragments as the PDF.

Byte-reproducible: fixed zip timestamps and `dcterms:modified` taken from SOURCE_DATE_EPOCH or,
failing that, from the newest manuscript file, so an unchanged manuscript gives an identical file.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

from folio.checks import epubcheck
from folio.checks.findings import Finding
from folio.formats import Inputs, Rendered, pagelist
from folio.project.config import Project
from folio.project.manuscript import IMAGE_TYPES
from folio.project.stamp import Stamp
from folio.render import images, templates
from folio.render.cover import cover_alt, cover_image
from folio.render.fonts import font_faces
from folio.render.layout import Page
from folio.text.fragment import XHTML, Fragment

CONTAINER = """<?xml version="1.0" encoding="utf-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles>
<rootfile full-path="OEBPS/package.opf" media-type="application/oebps-package+xml"/>
</rootfiles>
</container>
"""


SUMMARY = (
    "A text-only book: every chapter and section has a heading, the table of contents lists {listed}, "
    "notes are linked to and from the text, and the print edition's page numbers are marked."
)


# What the table of contents lists at each toc_depth: the summary must not claim more.
CONTENTS_DEPTH = {1: "every chapter", 2: "every chapter and section", 3: "every chapter, section and subsection"}


@dataclass(frozen=True)
class Accessibility:
    """What the EPUB declares about its accessibility (the OPF and the ONIX record say the same)."""

    access_modes: list[str]
    sufficient: list[str]
    features: list[str]
    hazards: list[str]
    summary: str
    conforms_to: str
    certified_by: str
    page_source: str


def accessibility(project: Project, images: bool) -> Accessibility:
    """Only what is true of every EPUB Folio makes: text, a table of contents, headings, one
    reading order, the print page numbers, and, where the chapters have images, alternative text
    for each (an image without it is a `folio check` error), so text alone still suffices."""
    book = project.config
    source = book.print_edition or f"{book.title}, print edition ({book.print.trim})"
    return Accessibility(
        access_modes=["textual", "visual"] if images else ["textual"],
        sufficient=["textual"],
        features=["tableOfContents", "readingOrder", "structuralNavigation", "printPageNumbers"] + (["alternativeText"] if images else []),
        hazards=["none"],
        summary=book.accessibility_summary or SUMMARY.format(listed=CONTENTS_DEPTH.get(book.toc_depth, "every heading")),
        conforms_to="EPUB Accessibility 1.1 - WCAG 2.2 Level AA",
        certified_by=book.publisher or book.author,
        page_source=source,
    )


@dataclass(frozen=True)
class Image:
    name: str
    media_type: str
    data: bytes
    alt: str


def cover(project: Project, cache: Path | None = None) -> Image:
    """The cover named in book.yaml, or one set from the book's title by templates/cover.html.j2
    (kept in `cache`, OUT/.cache/cover, between builds)."""
    book = project.config
    alt = cover_alt(book)
    if book.cover:
        path = project.manuscript_dir / book.cover
        kind = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
        return Image(f"cover{path.suffix.lower()}", kind, path.read_bytes(), alt)
    # HOOK(press): the generated cover is cached (render/cover.py).
    return Image("cover.png", "image/png", cover_image(project.root, book, font_faces(book.print.font), cache), alt)


@dataclass(frozen=True)
class ChapterFile:
    fragment: Fragment
    href: str
    """Path of the chapter's XHTML file, relative to the package document."""

    @property
    def properties(self) -> str:
        """The manifest item's properties: EPUB 3 requires "mathml" on a file that holds MathML."""
        return "mathml" if "<math " in self.fragment.html else ""


def chapter_files(fragments: list[Fragment]) -> list[ChapterFile]:
    return [ChapterFile(fragment, f"text/{fragment.chapter.id}.xhtml") for fragment in fragments]


def render(inputs: Inputs) -> Rendered:
    """The EPUB, with the print edition's page numbers taken from the print layout."""
    assert inputs.print is not None
    return Rendered(epub(inputs.project, inputs.book, inputs.print.pages, cover_cache=inputs.out / ".cache" / "cover"))  # HOOK(press)


def validate(inputs: Inputs, rendered: Rendered, path: Path) -> list[Finding]:
    """EPUBCheck on the EPUB the build made, its messages traced to the chapter files. It imports
    nothing: the build may run it in a thread while it makes the other formats (formats/__init__.py
    `Format.checked_apart`)."""
    return epubcheck.check(rendered.data, path, inputs.checked.chapters)


def epub(project: Project, fragments: list[Fragment], print_pages: list[Page], cover_cache: Path | None = None) -> bytes:
    """The EPUB of these fragments, with a pagebreak marker where each of the printed pages begins."""
    book = project.config
    chapters = chapter_files(fragments)
    stamp = project.build_time()
    page_targets = pagelist.targets(print_pages)
    trees = {}
    for item in chapters:
        xhtml = templates.render(project.root, "chapter.xhtml.j2", book=book, fragment=item.fragment, chapter=item.fragment.chapter)
        root = etree.fromstring(xhtml.encode("utf-8"))
        section = root.find(f".//{{{XHTML}}}section[@id='{item.fragment.chapter.id}']")
        pagelist.insert_markers(section, [p for p in page_targets if p.chapter == item.fragment.chapter.id])
        trees[item.href] = root
    _link_across_files(trees)
    images = _package_images(trees, project.manuscript_dir)
    href_of = {item.fragment.chapter.id: item.href for item in chapters}
    page_list = [(page, f"{href_of[page.chapter]}#{page.id}") for page in page_targets if page.chapter in href_of]
    bibliography = _first_reference_list(trees)
    image = cover(project, cover_cache)
    # File names without the brackets of "EBGaramond[wght].ttf", which are not allowed in EPUB URLs.
    fonts = {re.sub(r"[^\w.-]", "", face.path.name): face.path for face in font_faces(book.print.font)} if book.epub_fonts else {}
    context = {
        "book": book,
        "chapters": chapters,
        "page_list": page_list,
        "cover": image,
        "fonts": fonts,
        "images": images,
        "bibliography": bibliography,
    }
    modified = stamp.iso
    files: dict[str, str | bytes] = {
        "META-INF/container.xml": CONTAINER,
        "OEBPS/package.opf": templates.render(
            project.root, "package.opf.j2", modified=modified, a11y=accessibility(project, bool(images)), **context
        ),
        "OEBPS/nav.xhtml": templates.render(project.root, "nav.xhtml.j2", **context),
        "OEBPS/css/epub.css": templates.render(project.root, "epub.css", book=book, fonts=fonts, faces=font_faces(book.print.font)),
        "OEBPS/text/cover.xhtml": templates.render(project.root, "cover.xhtml.j2", **context),
        "OEBPS/text/titlepage.xhtml": templates.render(project.root, "titlepage.xhtml.j2", book=book),
        "OEBPS/text/copyright.xhtml": templates.render(project.root, "copyright.xhtml.j2", book=book),
        f"OEBPS/images/{image.name}": image.data,
    }
    for name, path in fonts.items():
        files[f"OEBPS/fonts/{name}"] = path.read_bytes()
    for picture in images:
        files[f"OEBPS/images/{picture.name}"] = picture.data
    for href, root in trees.items():
        files[f"OEBPS/{href}"] = '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + etree.tostring(root, encoding="unicode")
    return _zip(files, stamp)


def _first_reference_list(trees: dict[str, etree._Element]) -> str:
    """Where the landmarks' "bibliography" entry goes: the book's reference list (`references: book`)
    or, with a list in each chapter, the first of them, as the notes entry goes to the first notes."""
    for href, root in trees.items():
        for section in root.iter(f"{{{XHTML}}}section"):
            if section.get("role") == "doc-bibliography" and section.get("id"):
                return f"{href}#{section.get('id')}"
    return ""


def _package_images(trees: dict[str, etree._Element], manuscript: Path) -> list[Image]:
    """The chapters' images go into the package (images/), their src pointing there."""
    packaged: dict[Path, Image] = {}
    for root in trees.values():
        for img in root.iter(f"{{{XHTML}}}img"):
            source = (manuscript / img.get("src", "")).resolve()
            if source not in packaged:
                name = f"figure-{len(packaged) + 1:03d}{source.suffix.lower()}"
                data = images.epub_image(source.read_bytes(), source.suffix)  # long side at most 3,200 px
                packaged[source] = Image(name, IMAGE_TYPES[source.suffix.lower()], data, img.get("alt", ""))
            img.set("src", f"../images/{packaged[source].name}")
    return list(packaged.values())


def _link_across_files(trees: dict[str, etree._Element]) -> None:
    """A link to an id in another chapter's file must name that file: '#x' becomes 'ch02.xhtml#x'.
    (In the PDF every chapter is one document, so the fragment's '#x' is right as it is.)"""
    owner = {element.get("id"): href for href, root in trees.items() for element in root.iter() if element.get("id")}
    for href, root in trees.items():
        for link in root.iter(f"{{{XHTML}}}a"):
            target = link.get("href", "")
            if target.startswith("#") and owner.get(target[1:], href) != href:
                link.set("href", f"{PurePosixPath(owner[target[1:]]).name}{target}")


def _zip(files: dict[str, str | bytes], stamp: Stamp) -> bytes:
    date_time = stamp.zip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # The mimetype comes first and uncompressed, as the OCF container spec requires.
        archive.writestr(zipfile.ZipInfo("mimetype", date_time), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time)
            info.external_attr = 0o644 << 16
            data = text.encode("utf-8") if isinstance(text, str) else text
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
