"""Cleaning: text normalisation and relay-damage repair. Pure (DESIGN §4.1).

``classify_line`` decides whether one line of a body is page furniture (a teaser, a promo, an
advertisement marker, a share widget, comment-section remnants, a credit line, a cookie prompt),
from lexicons in ``data/`` and the line's shape.
"""

from __future__ import annotations

from newsdesk.clean.lines import REASONS, classify_line

__all__ = ["REASONS", "classify_line"]
