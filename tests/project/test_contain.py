"""folio/project/contain.py and the doors it guards: a build reads only the project (and Folio's own
templates and fonts). Every way of naming a file (relative ../, absolute, a symbolic link inside
the project leading out, a file:// URL) is tried for every kind of input, and each is refused
with the key or the line that named it, nothing written; http(s) only with remote_resources."""

from __future__ import annotations

import http.server
import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from PIL import Image

from folio.project import contain
from folio.project.config import styles_dir

from helpers import REFERENCES, REPO, make_book, run_folio

MARKER = "QZXOUTSIDEMARKER"
"""In every outside file: it must never appear in any output."""
CHAPTER = "---\ntitle: One\n---\n\nClaim [@alpha2020] and [@beta2021].\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files beside the project, each carrying the marker."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "refs.yaml").write_text(REFERENCES.replace("The First Book", f"The {MARKER} Book"), encoding="utf-8")
    style = (styles_dir() / "chicago-notes-bibliography.csl").read_text(encoding="utf-8")
    (folder / "style.csl").write_text(style.replace("<info>", f"<info><title-short>{MARKER}</title-short>", 1), encoding="utf-8")
    (folder / "chapter.md").write_text(f"---\ntitle: Out\n---\n\n{MARKER} [@alpha2020] [@beta2021].\n", encoding="utf-8")
    Image.new("RGB", (30, 30), (200, 10, 10)).save(folder / "picture.png")
    (folder / "print.css").write_text(f'body::after {{ content: "{MARKER}"; }}\n', encoding="utf-8")
    (folder / "templates").mkdir()
    return folder


def link(root: Path, name: str, target: Path) -> None:
    """A symbolic link inside the project, leading out of it."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    path.symlink_to(target)


def outputs_hold(out: Path, marker: str) -> list[str]:
    """Every place in the outputs (the EPUB's and DOCX's members unpacked, the PDFs' text and
    streams decoded) where `marker` appears."""
    found = []
    for path in sorted(out.rglob("*")) if out.exists() else []:
        if not path.is_file():
            continue
        if marker.encode() in path.read_bytes():
            found.append(path.name)
        if path.suffix in (".epub", ".docx"):
            with zipfile.ZipFile(path) as archive:
                found += [f"{path.name}:{name}" for name in archive.namelist() if marker.encode() in archive.read(name)]
        if path.suffix == ".pdf":
            with pdfplumber.open(path) as pdf:
                found += [f"{path.name}:page {p.page_number}" for p in pdf.pages if marker in (p.extract_text() or "")]
            with pikepdf.open(path) as pdf:
                for obj in pdf.objects:
                    if isinstance(obj, pikepdf.Stream) and marker.encode() in obj.read_bytes():
                        found.append(f"{path.name}:stream {obj.objgen}")
    return found


def build(root: Path, out: Path, *formats: str) -> tuple[int, str]:
    code, _, stderr = run_folio(["build", *formats, "--no-validate", "--project", str(root), "--out", str(out)])
    assert "Traceback" not in stderr
    return code, stderr


# book.yaml's keys: each way out, refused on the key's line -------------------------------------

KEYS = {
    # name: (book.yaml lines, what sets it up, the line named, what the message says)
    "bibliography ../": ("bibliography: ../../outside/refs.yaml\n", None, 7, "bibliography: ../../outside/refs.yaml is outside"),
    "bibliography absolute": ("bibliography: {outside}/refs.yaml\n", None, 7, "is outside the project"),
    "bibliography link": ("bibliography: refs.yaml\n", ("manuscript/refs.yaml", "refs.yaml"), 7, "bibliography: refs.yaml is outside"),
    "bibliography file://": ("bibliography: file://{outside}/refs.yaml\n", None, 7, "is a URL: only a file inside the project"),
    "csl ../": ("csl: ../../outside/style.csl\n", None, 7, "csl: ../../outside/style.csl is outside the project"),
    "csl absolute": ("csl: {outside}/style.csl\n", None, 7, "style.csl is outside the project"),
    "csl link": ("csl: style.csl\n", ("manuscript/style.csl", "style.csl"), 7, "csl: style.csl is outside the project"),
    "csl catalogue ../": ("csl: ../../../../../../../../..{outside}/style\n", None, 7, "no such style"),
    "cover ../": ("cover: ../../outside/picture.png\n", None, 7, "cover: ../../outside/picture.png is outside the project"),
    "cover absolute": ("cover: {outside}/picture.png\n", None, 7, "picture.png is outside the project"),
    "cover link": ("cover: cover.png\n", ("manuscript/cover.png", "picture.png"), 7, "cover: cover.png is outside the project"),
    "cover file://": ("cover: file://{outside}/picture.png\n", None, 7, "is a URL"),
    "chapter ../": ("back: [../../outside/chapter.md]\n", None, 7, "back: ../../outside/chapter.md is outside the project"),
    "chapter absolute": ("back:\n  - {outside}/chapter.md\n", None, 8, "chapter.md is outside the project"),
    "chapter link": ("back: [after.md]\n", ("manuscript/after.md", "chapter.md"), 7, "back: after.md is outside the project"),
    "chapter file://": ("back: [file://{outside}/chapter.md]\n", None, 7, "is a URL"),
}


@pytest.mark.parametrize("case", list(KEYS))
def test_a_key_naming_a_file_outside_is_refused_on_its_line(tmp_path, outside, case):
    extra, symlink, line, message = KEYS[case]
    root = make_book(tmp_path / "book", {"one.md": CHAPTER}, extra=extra.format(outside=outside))
    if symlink:
        link(root, symlink[0], outside / symlink[1])
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf", "epub", "draft", "docx")
    assert code == 2, stderr
    assert f"{root}/manuscript/book.yaml:{line}: " in stderr and message in stderr, stderr
    assert not out.exists()


def test_the_default_bibliography_as_a_link_leading_out_is_refused(tmp_path, outside):
    root = make_book(tmp_path / "book", {"one.md": CHAPTER})
    link(root, "manuscript/references.yaml", outside / "refs.yaml")
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf")
    assert code == 2 and f"{root}/manuscript/references.yaml: outside the project (it leads to {outside}/refs.yaml)" in stderr
    assert not out.exists()


def test_a_chapters_folder_linked_out_of_the_project_is_refused(tmp_path, outside):
    root = make_book(tmp_path / "book", {"chapter.md": CHAPTER})
    shutil.rmtree(root / "manuscript" / "chapters")
    (root / "manuscript" / "chapters").symlink_to(outside)
    code, stderr = build(root, tmp_path / "out", "pdf")
    assert code == 2 and "book.yaml:6: chapters: chapters/chapter.md is outside the project" in stderr


@pytest.mark.parametrize("how", ["folder", "file"])
def test_the_projects_templates_must_lie_inside_it(tmp_path, outside, how):
    """Jinja reads a template wherever a link leads; a stylesheet is printed into every page."""
    root = make_book(tmp_path / "book", {"one.md": CHAPTER})
    if how == "folder":
        (outside / "templates" / "print.css").write_text((outside / "print.css").read_text(encoding="utf-8"), encoding="utf-8")
        (root / "templates").symlink_to(outside / "templates")
        named = root / "templates"
    else:
        link(root, "templates/print.css", outside / "print.css")
        named = root / "templates" / "print.css"
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf", "draft")
    assert code == 2 and f"{named}: outside the project (it leads to" in stderr, stderr
    assert not out.exists()


# Images in the chapters: file:line:col, S001 and S002 -------------------------------------------

IMAGES = {
    "../": ("../../outside/picture.png", "S001"),
    "absolute": ("{outside}/picture.png", "S001"),
    "file://": ("file://{outside}/picture.png", "S001"),
    "link": ("picture.png", "S001"),
    "https": ("https://example.org/picture.png", "S002"),
    "http": ("http://127.0.0.1:9/picture.png", "S002"),
}


@pytest.mark.parametrize("case", list(IMAGES))
def test_an_image_outside_the_project_is_refused_where_the_chapter_names_it(tmp_path, outside, case):
    src, code_expected = IMAGES[case]
    src = src.format(outside=outside)
    chapter = f"---\ntitle: One\n---\n\nClaim [@alpha2020] and [@beta2021].\n\n![A red square]({src})\n"
    root = make_book(tmp_path / "book", {"one.md": chapter})
    if case == "link":
        link(root, "manuscript/picture.png", outside / "picture.png")
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf", "epub", "docx")
    assert code == 1
    assert f"manuscript/chapters/one.md:7:17: error: {code_expected} " in stderr and src in stderr, stderr
    assert not out.exists()


# What the layouts fetch: stylesheets and templates of the project --------------------------------


def book_with_style(tmp_path: Path, css: str, extra: str = "") -> Path:
    """A book whose own print.css (templates/ of the project) ends with `css`."""
    root = make_book(tmp_path / "book", {"one.md": CHAPTER}, extra=extra)
    (root / "templates").mkdir()
    own = (REPO / "templates" / "print.css").read_text(encoding="utf-8")
    (root / "templates" / "print.css").write_text(own + "\n" + css + "\n", encoding="utf-8")
    return root


STYLES = {
    "file://": "file://{outside}/picture.png",
    "../": "../../outside/picture.png",
    "absolute": "{outside}/picture.png",
    "link": "picture.png",
}


@pytest.mark.parametrize("case", list(STYLES))
def test_a_stylesheet_reading_outside_the_project_stops_the_layout(tmp_path, outside, case):
    url = STYLES[case].format(outside=outside)
    root = book_with_style(tmp_path, f'body {{ background-image: url("{url}"); }}')
    if case == "link":
        link(root, "manuscript/picture.png", outside / "picture.png")
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf")
    assert code == 2 and "refused to read file://" in stderr and "picture.png: outside the project" in stderr, stderr
    assert not list(out.glob("test-book*"))  # only Pandoc's cache: the chapters were converted before the layout


def test_a_remote_stylesheet_resource_is_refused_unless_the_book_allows_it(tmp_path, outside):
    root = book_with_style(tmp_path, 'body { background-image: url("http://127.0.0.1:9/picture.png"); }')
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf")
    assert code == 2 and "refused to fetch http://127.0.0.1:9/picture.png: a remote resource" in stderr
    assert "remote_resources: true" in stderr
    assert not list(out.glob("test-book*"))


def test_front_matter_cannot_name_outside_sources_or_files(tmp_path, outside):
    """A chapter's front matter naming a bibliography, a style or files to include: Folio does not
    pass them to Pandoc, and Pandoc runs sandboxed; the build succeeds and none of it gets in."""
    chapter = (
        f"---\ntitle: One\nbibliography: {outside}/refs.yaml\ncsl: {outside}/style.csl\nnocite: '@*'\n"
        f"include-before: {outside}/chapter.md\nheader-includes: {outside}/chapter.md\ncss: {outside}/print.css\n---\n\n"
        "Claim [@alpha2020] and [@beta2021].\n"
    )
    root = make_book(tmp_path / "book", {"one.md": chapter})
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf", "epub", "draft", "docx")
    assert code == 0, stderr
    assert len(list(out.glob("test-book*"))) == 4
    assert outputs_hold(out, MARKER) == []
    assert outputs_hold(out, "The First Book")  # the control: the project's own source is there


def test_the_marker_search_finds_what_it_looks_for(tmp_path, outside):
    """The control for every 'nothing leaked' above: the same outside files, copied into the
    project, do show in the outputs; so a leak would have been seen."""
    root = make_book(tmp_path / "book", {"one.md": CHAPTER}, extra="bibliography: refs.yaml\n")
    shutil.copy(outside / "refs.yaml", root / "manuscript" / "refs.yaml")
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf", "epub", "docx")
    assert code == 0, stderr
    found = outputs_hold(out, MARKER)
    assert any(f.startswith("test-book.epub:") for f in found) and any(f.startswith("test-book-review.docx:") for f in found)
    assert "test-book.pdf:page 1" in found or any(f.startswith("test-book.pdf:page") for f in found)


# Remote resources allowed: fetched, within a time and a size -----------------------------------


class _Server(http.server.ThreadingHTTPServer):
    routes: dict[str, tuple[bytes, str, float]]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, kind, delay = self.server.routes.get(self.path, (b"", "text/plain", 0.0))  # type: ignore[attr-defined]
        if not body:
            self.send_error(404)
            return
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", body.decode())
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.end_headers()
        for start in range(0, len(body), 65536):
            time.sleep(delay)
            try:
                self.wfile.write(body[start : start + 65536])
            except OSError:
                return

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(outside: Path) -> Iterator[str]:
    """A web server on this machine: a small image, a huge file, a slow one, and a redirect to file://."""
    picture = (outside / "picture.png").read_bytes()
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.routes = {
        "/picture.png": (picture, "image/png", 0.0),
        "/huge.png": (b"\0" * (contain.REMOTE_LIMIT + 65536 * 4), "image/png", 0.0),
        "/slow.png": (b"\0" * 65536 * 6, "image/png", 0.5),  # three seconds, half a second a chunk
        "/redirect": (f"file://{outside}/picture.png".encode(), "", 0.0),
    }
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_allowed_remote_resources_are_fetched(tmp_path, server):
    root = book_with_style(tmp_path, f'body {{ background-image: url("{server}/picture.png"); }}', extra="remote_resources: true\n")
    out = tmp_path / "out"
    code, stderr = build(root, out, "pdf")
    assert code == 0, stderr
    with pikepdf.open(out / "test-book.pdf") as pdf:
        images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        assert (30, 30) in {(int(image.Width), int(image.Height)) for image in images}  # drawn as the page's background


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/huge.png", "more than the limit of 20,971,520 bytes"),
        ("/slow.png", "not fetched within 1 s"),
        ("/redirect", "could not fetch"),
        ("/missing.png", "could not fetch"),
    ],
)
def test_a_remote_resource_too_big_too_slow_or_leading_back_to_a_file_is_refused(tmp_path, server, monkeypatch, path, message):
    monkeypatch.setattr(contain, "REMOTE_TIMEOUT", 1.0)
    monkeypatch.setattr(contain.fetch_remote, "__kwdefaults__", {"timeout": 1.0, "limit": contain.REMOTE_LIMIT})
    with contain.remote_resources(True), pytest.raises(contain.RemoteError, match=message):
        contain.fetch_remote(f"{server}{path}")


def test_remote_fetching_is_off_outside_a_build_that_allows_it(server):
    with pytest.raises(contain.RemoteError, match="a remote resource"):
        contain.fetch_remote(f"{server}/picture.png")
    with contain.remote_resources(True):
        assert contain.fetch_remote(f"{server}/picture.png").content_type == "image/png"
    with pytest.raises(contain.RemoteError, match="a remote resource"):
        contain.fetch_remote(f"{server}/picture.png")
