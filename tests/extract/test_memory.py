"""Bounded memory per page (issue 24): a page under the 10 MB body cap made of ~895,000 tiny
paragraphs took 1.1 GB in its extraction process. Extraction now cuts the markup past
``MAX_TAGS`` tags and the body past ``MAX_BLOCKS`` blocks, says so in ``extraction.cut``,
and stays under 400 MB peak RSS, measured in a child process of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from newsdesk.extract.cascade import MAX_BLOCKS

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from newsdesk import extract
    page = open(sys.argv[1], "rb").read()
    article = extract(page)
    # VmHWM, not ru_maxrss: ru_maxrss carries the parent's peak across fork and exec.
    with open("/proc/self/status") as status:
        peaks = [line.split()[1] for line in status if line.startswith("VmHWM:")]
    peak_mb = int(peaks[0]) / 1024 if peaks else (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    print(json.dumps({
        "peak_mb": peak_mb,
        "blocks": len(article.blocks),
        "method": article.extraction.method,
        "cut": article.extraction.cut,
    }))
    """
)


def test_a_page_of_895000_tiny_paragraphs_stays_under_400_mb(tmp_path: Path) -> None:
    paragraphs = "".join(f"<p>w{i % 100}</p>\n" for i in range(895_000))
    page = f"<html><head><title>Flood</title></head><body><article>{paragraphs}</article>"
    path = tmp_path / "flood.html"
    path.write_text(page + "</body></html>", "utf-8")
    assert 9_500_000 < path.stat().st_size < 10_000_000  # under max_body_bytes
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(out.stdout)
    assert result["peak_mb"] < 400, result
    assert result["method"] == "dom"
    assert result["blocks"] == MAX_BLOCKS
    assert "markup cut after" in result["cut"] and "body cut after" in result["cut"]
