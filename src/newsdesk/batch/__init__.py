"""Offline work over corpora and crawls (DESIGN §2, ``batch/``): ``newsdesk clean --corpus``
(clean.py, a site's boilerplate learnt over its pages), ``newsdesk dedupe`` (dedupe.py, over a
JSON Lines file) and ``newsdesk batch`` (docs/batch.md): web archives through the relay's page
step on Dask (inputs.py, warc.py, partition.py, output.py, job.py; links.py for ``--dedupe``,
load.py for ``--into``). Only this package imports Dask, the WARC readers and pyarrow."""
