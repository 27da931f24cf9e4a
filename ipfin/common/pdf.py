"""The fonts of every PDF ipfin writes, embedded (subset) in the file.

ReportLab's built-in CID fonts (STSong-Light) are named, not embedded: a viewer without Adobe's
Asian font pack shows blank boxes for every Chinese character and for symbols such as −, ½, ≤ or
‰. So every PDF sets its text in one TrueType family that ReportLab subsets and embeds
(FontFile2): Noto Sans SC (思源黑体, SIL Open Font License 1.1, which allows embedding and
redistribution), as the PyPI package `justmytype-intl-cjk` ships it (a dependency in
pyproject.toml: no font file is kept in this repository, and none is asked of the machine).

That file is a variable font whose default instance is the Thin weight, and ReportLab reads only
the default outlines. The regular (400) and bold (700) instances are made from it once with
fontTools' instancer (about 15 s each), kept in `settings.IPFIN_FONT_CACHE_DIR` under a name that
carries the source file's SHA-256 and the weight, and reused by every later process
(`python -m ipfin.common.pdf` makes them ahead, as `make install` does). A new version of the
package has another digest, so a stale instance is never used.

`register_fonts()` registers `FONT` and `FONT_BOLD` with ReportLab once per process (a family,
so that <b> in a Paragraph picks the bold face). A document passes `initialFontName=FONT` to its
canvas (`DOC_KWARGS`) so that the page preamble names no standard-14 font (Helvetica), and sets
`FONT` on every style, table (`TABLE_FONT`) and chart string.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from django.conf import settings

__all__ = [
    "DOC_KWARGS",
    "FONT",
    "FONT_BOLD",
    "FONT_SOURCE_LICENCE",
    "TABLE_FONT",
    "font_files",
    "register_fonts",
]

FONT = "IpfinSans"
FONT_BOLD = "IpfinSans-Bold"
FONT_SOURCE_LICENCE = "SIL Open Font License 1.1 (Noto Sans SC)"
# Keyword arguments of every ReportLab document template / canvas ipfin makes: the page
# preamble's initial font is ours, so the file names no unembedded font.
DOC_KWARGS: dict[str, Any] = {"initialFontName": FONT}
# The first command of every ReportLab TableStyle ipfin makes: a table sets its cells' font (its
# default Helvetica) before drawing each cell, even a Paragraph, so the page would name it.
TABLE_FONT: tuple[Any, ...] = ("FONTNAME", (0, 0), (-1, -1), FONT)

_PACKAGE = "justmytype_intl_cjk"
_SOURCE = ("fonts", "ofl", "notosanssc", "NotoSansSC[wght].ttf")
# name: (weight, PostScript name). Each instance has its own PostScript name: ReportLab keys a
# subset's PDF objects by it, so two faces sharing the variable font's name would collapse.
_WEIGHTS = {FONT: (400, "NotoSansSC-Regular"), FONT_BOLD: (700, "NotoSansSC-Bold")}
_SCHEME = 2  # bumped when the way an instance is made changes: older cached files are not used

_lock = threading.Lock()
_registered = False


def _source() -> Path:
    """The variable Noto Sans SC TrueType file the package installed."""
    path = Path(str(resources.files(_PACKAGE).joinpath(*_SOURCE)))
    if not path.is_file():  # pragma: no cover - a broken installation
        raise RuntimeError(f"{path} is missing: reinstall the package {_PACKAGE}")
    return path


def _cache_dir() -> Path:
    return Path(settings.IPFIN_FONT_CACHE_DIR)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _instance(source: Path, weight: int, postscript_name: str, target: Path) -> None:
    """Write the static instance of `source` at `weight`, named `postscript_name`, to `target`
    (atomically: another process may be writing the same file; the last rename wins, with the
    same content)."""
    from fontTools.ttLib import TTFont as FontToolsFont
    from fontTools.varLib import instancer

    font = FontToolsFont(str(source))
    static = instancer.instantiateVariableFont(
        font, {"wght": weight}, inplace=True, optimize=False, updateFontNames=False
    )
    names = static["name"]
    names.removeNames(nameID=6)
    names.setName(postscript_name, 6, 3, 1, 0x409)
    names.setName(postscript_name, 6, 1, 0, 0)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".ttf.part")
    os.close(handle)
    try:
        static.save(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def font_files() -> dict[str, Path]:
    """{font name: static TrueType file}, made on first use and cached (see the module text)."""
    source = _source()
    digest = _digest(source)
    files = {}
    for name, (weight, postscript_name) in _WEIGHTS.items():
        target = _cache_dir() / f"{postscript_name}-{digest}-{_SCHEME}.ttf"
        if not target.is_file():
            _instance(source, weight, postscript_name, target)
        files[name] = target
    return files


def register_fonts() -> None:
    """Register `FONT` and `FONT_BOLD` (a family) with ReportLab, once per process."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for name, path in font_files().items():
            pdfmetrics.registerFont(TTFont(name, str(path)))
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
        )
        _registered = True


if __name__ == "__main__":  # pragma: no cover - `python -m ipfin.common.pdf`: make the instances
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    for name, path in font_files().items():
        sys.stdout.write(f"{name}: {path}\n")
