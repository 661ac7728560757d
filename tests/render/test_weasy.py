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
