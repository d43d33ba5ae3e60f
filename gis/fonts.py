"""Fonts for PDFs with Vietnamese text: DejaVu Sans from Debian's fonts-dejavu-core."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from gis.errors import ConfigurationError

#: Where fonts-dejavu-core puts them (scripts/setup.sh installs the package).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"


@lru_cache(maxsize=1)
def dejavu() -> tuple[str, str]:
    """Register DejaVu Sans regular and bold with ReportLab once; return their names."""
    for name in (REGULAR, BOLD):
        path = FONT_DIR / f"{name}.ttf"
        if not path.exists():
            raise ConfigurationError(f"font {path} is missing: install fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return REGULAR, BOLD
