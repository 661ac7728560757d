"""render/weasy.py, the one door to WeasyPrint: how it is imported."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import REPO


def test_weasyprint_is_imported_without_looking_its_libraries_up_and_opens_them_all():
    """Looking a library up by name runs `ldconfig` and the C compiler (0.18 s of every process
    that lays out); WeasyPrint's libraries open by their sonames without it. The lookup is put
    back afterwards, and the libraries WeasyPrint can use (HarfBuzz's subsetter among them, which
    its font embedding needs) are the ones a plain import opens."""
    code = """
import ctypes.util, json, sys
asked = []
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: asked.append(name) or real(name)
counting = ctypes.util.find_library
import folio.render.weasy
import weasyprint.text.ffi as ffi
names = ("gobject", "pango", "harfbuzz", "harfbuzz_subset", "fontconfig", "pangoft2")
print(json.dumps({"asked": asked, "restored": ctypes.util.find_library is counting,
                  "opened": [n for n in names if getattr(ffi, n) is not None]}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    result = json.loads(done.stdout)
    assert result["asked"] == []
    assert result["restored"]
    assert result["opened"] == ["gobject", "pango", "harfbuzz", "harfbuzz_subset", "fontconfig", "pangoft2"]


TYPES = """
import json, sys
import pycparser.c_parser
texts = []
real = pycparser.c_parser.CParser.parse
pycparser.c_parser.CParser.parse = lambda self, text, *a, **k: texts.append(text) or real(self, text, *a, **k)
if sys.argv[1] == "folio":
    import folio.render.weasy
import weasyprint.text.ffi as ffi
texts.clear()  # what the import parsed: the libraries' declarations
types = ["hb_codepoint_t[93]", "hb_tag_t[100]", "char[4]", "unsigned int *", "PangoRectangle *", "PangoLogAttr[]",
         "PangoFcFontMap *", "hb_blob_t *", "FcPattern *", "struct { int a; PangoRectangle r; } *"]
def described(t):
    kind = ffi.ffi.typeof(t)
    inner = kind.item if kind.kind in ("pointer", "array") else kind
    fields = [[name, field.type.cname, field.offset] for name, field in inner.fields] if inner.kind == "struct" and inner.fields else None
    return [kind.cname, kind.kind, inner.cname, ffi.ffi.sizeof(kind) if kind.kind != "array" or kind.length is not None else None, fields]
read = {t: described(t) for t in types}
print(json.dumps({"types": read, "declared": max(text.count("typedef int ") for text in texts)}))
"""


def test_a_c_type_written_as_text_is_read_as_cffi_reads_it_with_only_the_names_it_uses_declared():
    """WeasyPrint writes a C array type as text with a new length for each font it subsets; cffi
    parsed each after a declaration of every type the libraries have (66), 1.7 ms a time. Through
    Folio's door it declares only the names the text uses: the same types come out."""
    plain, folio = (
        json.loads(subprocess.run([sys.executable, "-c", TYPES, way], capture_output=True, text=True, check=True, cwd=REPO).stdout)
        for way in ("plain", "folio")
    )
    assert folio["types"] == plain["types"]
    assert plain["declared"] > 60 and folio["declared"] <= 2


def test_the_design_stylesheet_is_parsed_once_and_lays_out_as_the_documents_own(tmp_path):
    """A book laid out a part at a time gives each part the same design stylesheet: it is parsed
    (and its fonts loaded) once in a process, and every part is laid out as with it in the part:
    the same lines at the same places, its warnings told with each, the part's own style (the folio
    it starts on) still applied after it."""
    from folio.render import weasy

    css = (
        "@page { size: 100mm 150mm; margin: 15mm; @bottom-center { content: counter(page) } }"
        " body { font-family: serif; font-size: 13pt; hyphens: auto } h1 { font-weight: bold; break-before: page }"
        " p { text-indent: 1em; folio-unknown: 1 }"
    )

    def part(number: int, design: bool) -> str:
        marked = ' id="folio-design"' if design else ""
        words = " ".join(f"word{i}" for i in range(300))
        own = f"<style>@page :first {{ counter-reset: page {number * 10} }}</style>"
        return f'<html lang="en"><head><style{marked}>{css}</style>{own}</head><body><h1>Part {number}</h1><p>{words}</p></body></html>'

    def lines(laid: weasy.Laid) -> list[list[tuple[str, str, float, float]]]:
        return [[(line.tag, line.text, round(line.top, 3), round(line.bottom, 3)) for line in page.lines] for page in laid.pages]

    weasy._design.cache_clear()
    for number in (1, 2, 3):
        parsed_once = weasy.lay_out(part(number, True), allowed=[tmp_path], space_width=0.25)
        in_the_part = weasy.lay_out(part(number, False), allowed=[tmp_path], space_width=0.25)
        assert lines(parsed_once) == lines(in_the_part) and len(parsed_once.pages) > 1
        assert folios(parsed_once.data, tmp_path)[:2] == [str(number * 10), str(number * 10 + 1)]  # the part's own, after the design
        assert any("folio-unknown" in w for w in parsed_once.warnings)
        assert sorted(parsed_once.warnings) == sorted(in_the_part.warnings)
    assert weasy._design.cache_info().misses == 1


def folios(data: bytes, folder) -> list[str]:
    """The last line of each page's text (the folio at its foot)."""
    pdf = folder / "part.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [page.strip().splitlines()[-1].strip() for page in text.split("\f") if page.strip()]
