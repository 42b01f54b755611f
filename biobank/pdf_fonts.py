"""One place that gives reportlab a font able to print Chinese, for every PDF the app makes.

Use :func:`cjk_font` for a font name (``canvas.setFont(cjk_font(), 9)``), or
:func:`paragraph_styles` for platypus styles that wrap Chinese text correctly. Latin text prints
in the same font, so a page mixing ``标本`` and ``SP00000012K`` needs no switching.

Which font: an embeddable TrueType CJK face when one is installed (WenQuanYi Micro Hei,
Droid Sans Fallback; a PDF then shows the same glyphs everywhere), else Adobe's standard
Simplified-Chinese CID font ``STSong-Light``, which reportlab names without embedding and
viewers substitute with an installed CJK face (poppler picks Debian's Noto Sans CJK through
fontconfig). Noto Sans CJK itself (``fonts-noto-cjk``) has CFF outlines that reportlab cannot
embed, so it is the viewer-side fallback, not a reportlab font.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Final

from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["CID_FONT", "cjk_font", "font_for", "needs_cjk", "paragraph_styles"]

log = logging.getLogger("biobank.pdf")

#: (path, index in a .ttc) of TrueType CJK faces reportlab can embed, best first.
TRUETYPE_CANDIDATES: Final = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
CID_FONT: Final = "STSong-Light"
EMBEDDED_NAME: Final = "BiobankCJK"


def needs_cjk(text: str) -> bool:
    """True when ``text`` has characters Helvetica (WinAnsi) cannot print."""
    return any(ord(ch) > 0xFF for ch in text)


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register (once) and return the name of a reportlab font that prints Chinese."""
    for path, index in TRUETYPE_CANDIDATES:
        if os.path.exists(path):
            try:
                pdfmetrics.registerFont(TTFont(EMBEDDED_NAME, path, subfontIndex=index))
                return EMBEDDED_NAME
            except Exception as exc:  # a damaged or unsupported file: try the next one
                log.warning("cannot use %s for PDFs: %s", path, exc)
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def font_for(text: str, *, bold: bool = False) -> str:
    """Helvetica for Latin-1 text (crisper, always available), the CJK font otherwise."""
    if needs_cjk(text):
        return cjk_font()
    return "Helvetica-Bold" if bold else "Helvetica"


def paragraph_styles(locale: str = "en") -> StyleSheet1:
    """reportlab's sample styles; for ``zh`` every style uses the CJK font and CJK wrapping.

    (An English document that may carry Chinese text, e.g. a free-text note, can pass ``zh``
    too: the CJK font prints Latin text as well.)
    """
    styles = getSampleStyleSheet()
    if not locale.startswith("zh"):
        return styles
    name = cjk_font()
    for style in styles.byName.values():
        if isinstance(style, ParagraphStyle):
            style.fontName = name
            style.wordWrap = "CJK"
    return styles
