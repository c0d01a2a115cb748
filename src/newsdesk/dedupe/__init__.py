"""Duplicates, syndicated copies and story clusters (DESIGN §2). Pure, apart from the index
the store keeps for the live path.

- ``sketch``: exact text keys and MinHash fingerprints (text, lead, salient terms);
- ``links``: when two stories are copies or cover one event, and which copy is the original;
- ``batch``: a whole corpus at once, in compact arrays (``newsdesk dedupe``).
"""

from __future__ import annotations

from newsdesk.dedupe.batch import BatchDeduper, Resolution, key64
from newsdesk.dedupe.links import (
    CLUSTER_WINDOW,
    Evidence,
    are_copies,
    choose_original,
    copies_among,
    events_among,
    same_event,
)
from newsdesk.dedupe.sketch import Fingerprint, band_keys, fingerprint, similarity, text_key

__all__ = [
    "CLUSTER_WINDOW",
    "BatchDeduper",
    "Evidence",
    "Fingerprint",
    "Resolution",
    "are_copies",
    "band_keys",
    "choose_original",
    "copies_among",
    "events_among",
    "fingerprint",
    "key64",
    "same_event",
    "similarity",
    "text_key",
]
