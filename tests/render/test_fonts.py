"""render/fonts.py: a variable font embedded at its default weight without fontTools' instancer, and
at another weight by the instancer passing over empty slots, is the instancer's font as a reader
sees it (same outlines, same advances, same pixels), and keeps its date."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import fontTools.varLib.instancer
import pikepdf
import pytest
import weasyprint.pdf.fonts
from fontTools.ttLib import TTFont

from folio.render.fonts import font_dirs, font_faces
from folio.render.weasy import lay_out


def _pdf(faces_css: str) -> bytes:
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>{faces_css}
    @page {{ size: 300pt 200pt; margin: 20pt }} body {{ font-family: "EB Garamond"; font-size: 14pt }}</style></head>
    <body><p>Roman text, <em>italic text</em>, <strong style="font-weight: 600">semibold text</strong>.
    Offices ffl &amp; Th.</p></body></html>"""
    faces = font_faces("EB Garamond")
    return lay_out(html, allowed=font_dirs(faces)).data


def _embedded(data: bytes) -> dict[str, TTFont]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {
            str(obj.FontName): TTFont(io.BytesIO(obj.FontFile2.read_bytes()))
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor" and "/FontFile2" in obj
        }


def _pixels(data: bytes, folder: Path, name: str) -> bytes:
    (folder / f"{name}.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(folder / f"{name}.pdf"), str(folder / name)], check=True)
    return (folder / f"{name}.png").read_bytes()


def test_default_weight_is_embedded_as_the_instancer_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    faces = "".join(
        f'@font-face {{ font-family: "EB Garamond"; font-style: {f.style}; src: url("{f.url}") }}' for f in font_faces("EB Garamond")
    )
    cheap = _pdf(faces)
    fonts = _embedded(cheap)
    assert len(fonts) == 3  # roman and italic at 400 (the default location), roman at 600
    for font in fonts.values():
        assert not {"fvar", "gvar", "HVAR"} & set(font.keys())  # static, either way
        assert font["head"].modified == font["head"].created  # no time stamped in: the same book, the same bytes
    assert cheap == _pdf(faces)

    ours = weasyprint.pdf.fonts.instantiateVariableFont
    monkeypatch.setattr(weasyprint.pdf.fonts, "instantiateVariableFont", ours.real)
    monkeypatch.setattr(fontTools.varLib.instancer, "_instantiateGvarGlyph", ours.real_glyph)
    slow = _pdf(faces)
    assert _pixels(cheap, tmp_path, "cheap") == _pixels(slow, tmp_path, "slow")
    slow_fonts = _embedded(slow)
    for name, font in fonts.items():
        other = slow_fonts[name]
        for glyph in font.getGlyphOrder():
            assert font["glyf"][glyph].getCoordinates(font["glyf"])[0] == other["glyf"][glyph].getCoordinates(other["glyf"])[0]
            assert font["hmtx"][glyph] == other["hmtx"][glyph]
