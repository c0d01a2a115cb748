"""The MinHash of ``sketch`` is datasketch's "affine32" scheme, reproduced in numpy: the same
values bit for bit, so fingerprints stored before the switch still compare."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.dedupe import sketch
from newsdesk.dedupe.sketch import (
    EMPTY,
    LEAD_PERM,
    SEED,
    TERMS_PERM,
    TEXT_PERM,
    _minhash,
    fingerprint,
)

datasketch = pytest.importorskip("datasketch")


def _reference(values: list[int], num_perm: int) -> np.ndarray:
    sketch = datasketch.MinHash(num_perm=num_perm, seed=SEED, hashfunc=int, scheme="affine32")
    sketch.update_batch(values)
    return (np.asarray(sketch.hashvalues, dtype=np.uint32) >> 16).astype(np.uint16)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=400),
    st.sampled_from([TEXT_PERM, LEAD_PERM, TERMS_PERM]),
)
def test_minhash_matches_datasketch_affine32(values: list[int], num_perm: int) -> None:
    ours = _minhash(np.unique(np.array(values, dtype=np.uint64)), num_perm)
    assert ours.dtype == np.uint16
    assert np.array_equal(ours, _reference(values, num_perm))


def test_empty_set_and_whole_fingerprint() -> None:
    assert (_minhash(np.zeros(0, dtype=np.uint64), TEXT_PERM) == EMPTY).all()
    text = "The council approved the harbour plan.\nWork starts in spring, officials said."
    fp = fingerprint(text, title="Harbour plan approved")
    assert fp.text.shape == (TEXT_PERM,) and fp.lead.shape == (LEAD_PERM,)
    assert fp.terms.shape == (TERMS_PERM,) and fp.size > 0


@given(
    st.lists(
        st.sampled_from(["a", "B", "é", "e\u0301", "ﬁ", "①", " ", ". ", "\n", "Z" * 30, "12,5"]),
        max_size=400,
    ).map("".join),
    st.integers(min_value=1, max_value=40),
)
def test_the_first_tokens_read_from_a_prefix_are_the_texts_own(text: str, wanted: int) -> None:
    whole = sketch._TOKEN.findall(unicodedata.normalize("NFKC", text))[:wanted]
    assert sketch._first_tokens(text, wanted) == whole
