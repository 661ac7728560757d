"""`folio import FILE.md DIR`: a Folio project made from a single-file Pandoc manuscript.

The manuscript's metadata (a YAML block, a Pandoc `%` title block, MultiMarkdown `key: value`
lines, or a --metadata-file) becomes book.yaml; the text is split into chapter files at a heading
level (each heading becomes its chapter's title, the levels under it move up so its sections are
`##`); the images it names and its bibliography are copied in beside them, at the same relative
paths. The manuscript itself is only read. Whatever could not be carried over is listed, so the
author knows what to look at; nothing is dropped silently.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from folio.errors import EXIT_OK, ConfigError, UnreadableFileError
from folio.project import contain, yamlfile
from folio.project.config import BOOK_FILE
from folio.project.manuscript import FRONT_MATTER, mask_code
from folio.text import dialects, pandoc
from folio.text.markup import LIQUID
from folio.tools.new import MAKEFILE, book_yaml

# Pandoc metadata that book.yaml has a key for; everything else is listed as not carried over.
SAME_KEYS = ("title", "subtitle", "publisher", "rights", "date")
ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$", re.M)
ATTRIBUTES = re.compile(r"\s*\{([^{}]*)\}\s*$")
MMD_LINE = re.compile(r"^([A-Za-z][\w -]*):[ \t]*(.*)$")


@dataclass
class Imported:
    """What the import made and what it left behind."""

    chapters: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`folio import`'s arguments (the command line is folio/cli.py)."""
    parser.add_argument("file", type=Path, metavar="FILE.md", help="the manuscript: one Pandoc Markdown file")
    parser.add_argument("dir", type=Path, metavar="DIR", help="the new project's folder (it must not exist, or be empty)")
    parser.add_argument("--bibliography", type=Path, metavar="FILE", help="its sources (.bib, .json, .yaml), if its metadata names none")
    parser.add_argument("--metadata-file", type=Path, metavar="FILE", help="metadata kept beside it (YAML or JSON), as for pandoc")
    parser.add_argument(
        "--split-level",
        type=int,
        default=1,
        choices=range(1, 7),
        metavar="N",
        help="chapters start at headings of this level (default: 1)",
    )


def run(args: argparse.Namespace) -> int:
    result = import_manuscript(args.file, args.dir, args.bibliography, args.metadata_file, args.split_level)
    print(f"made a Folio project in {args.dir} from {args.file}:")
    for name in result.chapters:
        print(f"  chapter  manuscript/{name}")
    for name in result.copied:
        print(f"  copied   manuscript/{name}")
    if result.not_carried:
        print("not carried over (look at these):")
        for item in result.not_carried:
            print(f"  - {item}")
    print(f"build it with `folio build --project {args.dir}`")
    return EXIT_OK


def import_manuscript(
    source: Path, target: Path, bibliography: Path | None = None, metadata_file: Path | None = None, split_level: int = 1
) -> Imported:
    if not source.is_file():
        raise UnreadableFileError(f"{source}: no such file")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target}: already exists and is not an empty folder (hint: name a new folder)")
    try:
        text = source.read_text(encoding="utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{source}: not UTF-8 text ({exc.reason}; save it as UTF-8)") from None
    result = Imported()
    meta, body = read_metadata(text, source)
    if metadata_file:
        extra = _load_yaml(metadata_file)
        if not isinstance(extra, dict):
            raise ConfigError(f"{metadata_file}:1: metadata must be a mapping of keys")
        meta = {**extra, **meta}
    base = source.parent
    manuscript = target / "manuscript"
    (manuscript / "chapters").mkdir(parents=True)
    config = _book_keys(meta, source, result)

    bibliographies = [bibliography] if bibliography else [base / str(b) for b in _as_list(meta.get("bibliography"))]
    names = [_copy_inside(path, base, manuscript, result, "bibliography") for path in bibliographies]
    names = [n for n in names if n]
    if len(names) > 1:
        result.not_carried.append(f"bibliography: {len(names)} files; book.yaml names the first, {names[0]}")
    if names:
        config["bibliography"] = names[0]
    else:
        (manuscript / "references.yaml").write_text("# The book's sources (CSL YAML); it cites none yet.\n[]\n", encoding="utf-8")
    csl = meta.get("csl")
    if isinstance(csl, str) and csl:
        copied = _copy_inside(base / csl, base, manuscript, result, "csl") if csl.endswith(".csl") else csl
        if copied:
            config["csl"] = copied

    first_line = text.count("\n") - body.count("\n") + 1  # of the body, in the file
    body = translate(body, source, manuscript, str(config["slug"]), result, first_line)
    for image in _images(body):
        if not (manuscript / image).is_file():
            _copy_inside(base / image, base, manuscript, result, "image")
    liquid = LIQUID.findall(mask_code(body))
    if liquid:
        result.not_carried.append(f"{len(liquid)} Jekyll Liquid tag(s) such as {liquid[0]}: the build drops them with a warning each")

    config["chapters"] = []
    number = 0
    for position, (title, chapter_body, unnumbered) in enumerate(split(body, split_level, str(config["title"])), start=1):
        if not chapter_body.strip():
            result.not_carried.append(f"heading {title!r}: nothing under it, so no chapter (Folio prints the sources itself)")
            continue
        slug = slugify(title)[:40] or "chapter"
        name = f"chapters/{position:02d}-{slug}.md"
        number += not unnumbered
        front = {"title": title} if unnumbered else {"title": title, "number": number}
        (manuscript / name).write_text(_front_matter(front) + chapter_body, encoding="utf-8")
        config["chapters"].append(name)
        result.chapters.append(name)
    (target / BOOK_FILE).write_text(book_yaml(config), encoding="utf-8")
    (target / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    (target / ".gitignore").write_text("build/\n", encoding="utf-8")
    return result


KRAMDOWN_MATH = re.compile(r"\\\\\((.+?)\\\\\)|\\\\\[(.+?)\\\\\]", re.S)
IMPORT_BLOCKS = ("div", "p", "ul", "ol", "table", "blockquote", "figure", "section", "aside", "dl", "pre", *(f"h{n}" for n in range(1, 7)))


def translate(body: str, source: Path, manuscript: Path, slug: str, result: Imported, first_line: int = 1) -> str:
    """Other tools' dialects, turned into the Markdown Folio reads: Jekyll's figure includes into
    figures (their images found as Jekyll finds them, in images/<slug>/), kramdown's \\(math\\)
    into $math$, AOSA's \\aosafigure into figures, and HTML blocks that Folio refuses into
    Markdown (Pandoc's HTML reader)."""
    body = _liquid_figures(body, source, manuscript, slug, result, first_line)
    masked = mask_code(body)
    pieces, last = [], 0
    for match in KRAMDOWN_MATH.finditer(masked):
        inline, display = match[1], match[2]
        pieces += [body[last : match.start()], f"${inline.strip()}$" if inline is not None else f"$${display.strip()}$$"]
        last = match.end()
    body = "".join([*pieces, body[last:]])
    return _html_blocks(body, result, first_line)


def _liquid_figures(body: str, source: Path, manuscript: Path, slug: str, result: Imported, first_line: int) -> str:
    """Figures in another tool's dialect as Markdown figures (text/dialects.py reads them, as the
    build does): a Jekyll include's image copied into the project at images/<slug>/, an
    \\aosafigure's at its path beside the manuscript (the image list copies it), and each
    \\aosafigref to it a link; one whose image is not found is listed."""
    replacements, carried = [], []
    for figure in dialects.figures(body, source, stems=(slug,)):
        line = body[: figure.start].count("\n") + first_line
        what = "Liquid figure" if figure.dialect == "jekyll" else "\\aosafigure"
        inside = figure.image is not None and contain.inside(figure.image, source.parent)
        if figure.image is None or (figure.dialect == "aosa" and not inside):
            result.not_carried.append(f"line {line}: {what} {figure.name or '(no filename)'}: image not found; left as it was")
            continue
        if figure.dialect == "aosa":
            relative = figure.image.resolve().relative_to(source.parent.resolve())
        else:
            relative = Path("images") / figure.image.parent.name / figure.image.name
            (manuscript / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(figure.image, manuscript / relative)
            result.copied.append(relative.as_posix())
        if not (figure.caption or figure.alt):
            figure.caption = figure.name
        carried.append(figure)
        replacements.append((figure.start, figure.end, dialects.as_markdown(figure, relative.as_posix())))
    replacements += [(start, end, f"[Figure](#{label})") for start, end, label in dialects.references(body, carried)]
    pieces, last = [], 0
    for start, end, text in sorted(replacements):
        pieces += [body[last:start], text]
        last = end
    return "".join([*pieces, body[last:]])


def _html_blocks(body: str, result: Imported, first_line: int) -> str:
    """An HTML block holding elements Folio refuses (<table>, <figure>, ...) becomes Markdown.
    (The build itself reads the blocks made only of what Markdown can say, text/markup.py; an
    import rewrites more, and lists each block for the author to look at.)"""
    from folio.checks.markup import COMMENT, SAFE_ELEMENTS, TAG, blank, html_blocks

    masked = blank(mask_code(body), COMMENT)
    pieces, last = [], 0
    for block in html_blocks(masked, IMPORT_BLOCKS):
        if all(t[2].lower() in SAFE_ELEMENTS for t in TAG.finditer(masked, block.start, block.end)):
            continue  # Folio reads it as it is
        line = body[: block.start].count("\n") + first_line
        result.not_carried.append(f"line {line}: an HTML <{block.name}> block, rewritten in Markdown: check it")
        pieces += [body[last : block.start], pandoc.html_to_markdown(body[block.start : block.end]).strip()]
        last = block.end
    return "".join([*pieces, body[last:]])


def read_metadata(text: str, source: Path) -> tuple[dict[str, Any], str]:
    """The manuscript's metadata and the text after it: a YAML block, a Pandoc title block
    (% title / % author / % date) or MultiMarkdown `key: value` lines at the top."""
    match = FRONT_MATTER.match(text)
    if match:
        try:
            meta = yamlfile.parse(match[1], source, first_line=2)
        except yamlfile.YamlError as exc:
            raise ConfigError(str(exc)) from None
        return (dict(meta) if isinstance(meta, dict) else {}), text[match.end() :]
    lines = text.split("\n")
    if lines and lines[0].startswith("% "):
        values = []
        while lines and lines[0].startswith("%"):
            values.append(lines.pop(0)[1:].strip())
        keys = ("title", "author", "date")
        return {k: v for k, v in zip(keys, values, strict=False) if v}, "\n".join(lines)
    mmd: dict[str, Any] = {}
    while lines and (found := MMD_LINE.match(lines[0])) and found[1].lower() in ("title", "author", "date", "subtitle", "language"):
        mmd[found[1].lower()] = found[2].strip()
        lines.pop(0)
    return mmd, "\n".join(lines)


def split(body: str, level: int, book_title: str) -> list[tuple[str, str, bool]]:
    """(title, body, unnumbered) of each chapter: a chapter starts at each heading of `level`;
    the headings under it move up so that its sections are `##`. Text before the first such
    heading is a chapter of its own, titled after the book, when it holds more than blank lines."""
    masked = mask_code(body)
    starts = [m for m in ATX_HEADING.finditer(masked) if len(m[1]) == level]
    pieces: list[tuple[str, str, bool]] = []
    first = starts[0].start() if starts else len(body)
    if body[:first].strip():
        pieces.append((book_title, _promote(body[:first], level), False))
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        title, attributes = _heading_text(body[match.start(2) : match.end(2)])
        anchor = _anchor(attributes, title, body)
        chapter_body = "\n" + (f"[]{{#{anchor}}}\n" if anchor else "") + _promote(body[match.end() : end], level)
        unnumbered = "-" in attributes.split() or ".unnumbered" in attributes.split()
        pieces.append((title, chapter_body, unnumbered))
    return pieces


def _heading_text(text: str) -> tuple[str, str]:
    match = ATTRIBUTES.search(text)
    if match:
        return text[: match.start()].strip(), match[1]
    return text.strip(), ""


def _anchor(attributes: str, title: str, body: str) -> str:
    """The heading's id, kept as an anchor at the top of its chapter when the text links to it
    (the heading itself becomes the chapter's title, which has an id of Folio's own)."""
    explicit = next((a[1:] for a in attributes.split() if a.startswith("#")), "")
    automatic = re.sub(r"[^\w\- ]", "", title.lower()).strip().replace(" ", "-")
    name = explicit or automatic
    return name if name and f"(#{name})" in body else ""


def _promote(text: str, level: int) -> str:
    """Headings deeper than the split level move up by it, so a chapter's sections are `##`."""
    if level == 1:
        return text
    masked = mask_code(text)
    out, last = [], 0
    for match in ATX_HEADING.finditer(masked):
        depth = len(match[1])
        if depth > level:
            out += [text[last : match.start()], "#" * (depth - level + 1)]
            last = match.start() + depth
    return "".join([*out, text[last:]])


def _book_keys(meta: dict[str, Any], source: Path, result: Imported) -> dict[str, Any]:
    """book.yaml's keys from the metadata; what has no place there is listed."""
    config: dict[str, Any] = {}
    for key in SAME_KEYS:
        if key in meta and _plain(meta[key]):
            config[key] = _plain(meta[key])
    if "rights" not in config and _plain(meta.get("license")):
        config["rights"] = f"Licence: {_plain(meta['license'])}"
    if "date" in config and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", config["date"]):
        found = re.match(r"\d{4}(-\d{2}(-\d{2})?)?", config["date"])
        result.not_carried.append(f"date: {config['date']!r} is not YYYY or YYYY-MM-DD" + (f"; kept {found[0]}" if found else ""))
        config.pop("date")
        if found:
            config["date"] = found[0]
    authors = [_name(a) for a in _as_list(meta.get("author") or meta.get("authors"))]
    authors = [a for a in authors if a]
    config["author"] = _join(authors) or "Unknown Author"
    if not authors:
        result.not_carried.append("author: the manuscript names none; book.yaml says 'Unknown Author'")
    language = meta.get("lang") or meta.get("language")
    if isinstance(language, str) and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        config["language"] = language
    else:
        result.not_carried.append("language: the metadata names none (lang:); the book is en-US unless book.yaml says otherwise")
    title = config.get("title") or source.stem.replace("-", " ").replace("_", " ").title()
    if "title" not in config:
        result.not_carried.append(f"title: the manuscript has none; book.yaml says {title!r}")
    config["title"] = title
    slug = meta.get("slug")
    config["slug"] = slugify(slug) if isinstance(slug, str) and slugify(slug) else slugify(source.stem) or "book"
    doi = meta.get("doi")
    isbn = meta.get("isbn") or meta.get("identifier")
    if isinstance(isbn, str) and re.fullmatch(r"[\d-]{10,17}X?", isbn):
        config["identifier"] = f"urn:isbn:{isbn.replace('-', '')}"
    elif isinstance(doi, str) and doi.strip():
        config["identifier"] = f"doi:{doi.strip()}"
    else:
        config["identifier"] = f"urn:uuid:{uuid.uuid4()}"
    used = {*SAME_KEYS, "slug", "license", "author", "authors", "lang", "language", "doi", "isbn", "identifier", "bibliography", "csl"}
    for key in meta:
        if key not in used:
            result.not_carried.append(f"metadata {key}: no book.yaml key for it")
    return config


def slugify(text: str) -> str:
    """A file-name stem from a title: lower-case ASCII letters and digits ('Âges' -> 'ages')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _images(body: str) -> list[str]:
    """The local images the text shows, as Pandoc reads them (a caption may hold brackets)."""
    output, _ = pandoc.run([f"--from={pandoc.READER}", "--to=json"], body)
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("t") == "Image":
                found.append(unquote(node["c"][2][0]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(output))
    return [src for src in dict.fromkeys(found) if not re.match(r"[A-Za-z][\w+.-]*:", src)]


def _copy_inside(path: Path, base: Path, manuscript: Path, result: Imported, what: str) -> str:
    """Copy a file the manuscript names to the same place relative to manuscript/; its new
    name there, or '' (and a line in the list) when it is missing or outside the manuscript's folder."""
    try:
        relative = path.resolve().relative_to(base.resolve())
    except ValueError:
        if path.is_file():  # named on the command line from elsewhere: it goes beside book.yaml
            relative = Path(path.name)
        else:
            result.not_carried.append(f"{what} {path}: not found")
            return ""
    if not path.is_file():
        result.not_carried.append(f"{what} {relative}: not found beside the manuscript")
        return ""
    destination = manuscript / relative
    if not destination.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        result.copied.append(relative.as_posix())
    return relative.as_posix()


def _load_yaml(path: Path) -> Any:
    try:
        return yamlfile.load(path)
    except yamlfile.YamlError as exc:
        raise ConfigError(str(exc)) from None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _plain(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int | float) and not isinstance(value, bool) else ""


def _name(author: Any) -> str:
    """An author as Pandoc metadata gives one: a string, or a mapping with a name."""
    if isinstance(author, dict):
        for key in ("name", "literal"):
            if isinstance(author.get(key), str):
                return author[key].strip()
        parts = [author.get("given") or author.get("givennames"), author.get("family") or author.get("familyname")]
        return " ".join(str(p) for p in parts if p)
    return _plain(author)


def _join(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def _front_matter(values: dict[str, Any]) -> str:
    import yaml

    return "---\n" + yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=1000) + "---\n"
