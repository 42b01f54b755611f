"""Fonts for human-readable text: Latin from DejaVu/Helvetica, CJK only when text needs it."""

from __future__ import annotations

import functools
import os
from typing import Final

from PIL import ImageFont

__all__ = ["needs_cjk", "pdf_font", "pil_font"]

_LATIN_TTF: Final = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
_LATIN_BOLD_TTF: Final = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
#: Debian's fonts-noto-cjk; face 2 of the collection is Simplified Chinese.
NOTO_CJK: Final = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
_NOTO_CJK_SC: Final = 2
#: reportlab cannot embed Noto CJK (CFF outlines). Debian's fonts-wqy-microhei has TrueType
#: outlines, which reportlab embeds (subset), so a printed manifest or report shows the same
#: Chinese on every viewer. Without it, PDFs name Adobe's standard GB1 CID font unembedded and
#: the viewer substitutes an installed face.
WQY_MICROHEI: Final = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
PDF_EMBEDDED_CJK_FONT: Final = "WenQuanYiMicroHei"
PDF_CJK_FONT: Final = "STSong-Light"


def needs_cjk(text: str) -> bool:
    """True when ``text`` has characters outside Latin-1 (what Helvetica/WinAnsi can show)."""
    return bool(text) and max(text) >= "\u0100"


@functools.lru_cache(maxsize=64)
def pil_font(size_px: int, *, bold: bool = False, cjk: bool = False) -> ImageFont.FreeTypeFont:
    candidates: list[tuple[str, int]] = []
    if cjk:
        candidates.append((NOTO_CJK, _NOTO_CJK_SC))
    candidates += [(p, 0) for p in (_LATIN_BOLD_TTF if bold else _LATIN_TTF)]
    for path, index in candidates:
        if os.path.exists(path):
            return ImageFont.truetype(path, size_px, index=index)
    return ImageFont.load_default(size_px)  # type: ignore[return-value]


@functools.lru_cache(maxsize=4)
def pdf_font(*, bold: bool = False, cjk: bool = False) -> str:
    """The reportlab font name to use, registering the CJK font on first need."""
    if cjk:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        if os.path.exists(WQY_MICROHEI):
            from reportlab.pdfbase.ttfonts import TTFont

            pdfmetrics.registerFont(TTFont(PDF_EMBEDDED_CJK_FONT, WQY_MICROHEI, subfontIndex=0))
            return PDF_EMBEDDED_CJK_FONT
        try:
            pdfmetrics.registerFont(UnicodeCIDFont(PDF_CJK_FONT))
        except Exception:
            # A reportlab build without CID support: Latin text still prints.
            return "Helvetica-Bold" if bold else "Helvetica"
        return PDF_CJK_FONT
    return "Helvetica-Bold" if bold else "Helvetica"
