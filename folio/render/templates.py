"""Jinja templates and stylesheets: a project's own templates/ folder overrides Folio's, file by file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from folio.render.fonts import code_face
from folio.render.math import print_math
from folio.text import words


def default_templates_dir() -> Path:
    """Folio's templates: inside the installed package, or beside it in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


def search_path(project_root: Path) -> list[Path]:
    own = project_root / "templates"
    return [own, default_templates_dir()] if own.is_dir() else [default_templates_dir()]


def environment(project_root: Path, *, xml: bool = False) -> jinja2.Environment:
    # HOOK(serve): one environment per search path, kept, so templates are compiled once a process
    # (0.25 s of each live-preview refresh); Jinja's auto_reload recompiles a template whose file changed.
    return _environment(tuple(search_path(project_root)), xml)


@cache
def _environment(folders: tuple[Path, ...], xml: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in folders], encoding="utf-8"),
        autoescape=jinja2.select_autoescape(["html", "xhtml", "j2", "opf", "xml"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = css_string
    # Print only: formulas drawn as SVG (the EPUB keeps MathML); the code face sized to the body.
    env.filters["print_math"] = print_math
    env.globals["code_face"] = code_face
    env.globals["word"] = words.word  # the words Folio prints, in the book's (or a chapter's) language
    return env


def css_string(text: str) -> Markup:
    """Text as a quoted CSS string, safe inside a <style> element (where HTML escapes do not apply)."""
    escaped = "".join(f"\\{ord(c):X} " if c in '\\"<>&\n' else c for c in str(text))
    return Markup(f'"{escaped}"')


def render(project_root: Path, name: str, **context: object) -> str:
    try:
        return environment(project_root).get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        from folio.errors import ConfigError

        raise ConfigError(f"{where}:{line or 0}: template error: {exc}") from None
