"""The extraction processes the relay's threads call through a pipe each."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from newsdesk.errors import TooLargeError
from newsdesk.pipeline.processes import ProcessPool, WorkerDied


def _echo(value: object) -> object:
    return value


def _fail(message: str) -> None:
    raise TooLargeError(message)


def _die() -> None:
    os._exit(3)  # a crash in a native library looks like this to the relay


def _pid(_: int) -> int:
    return os.getpid()


def test_calls_answer_raise_and_survive_a_dead_process() -> None:
    with ProcessPool(2) as pool:
        assert pool.call(_echo, {"a": [1, 2]}) == {"a": [1, 2]}
        body = os.urandom(100_000)
        assert pool.call(_echo, body) == body
        with pytest.raises(TooLargeError, match="over the cap") as raised:
            pool.call(_fail, "over the cap")
        assert raised.value.kind == TooLargeError("x").kind
        with pytest.raises(WorkerDied):
            pool.call(_die)
        # the dead process was replaced: both processes still answer, from threads at once
        with ThreadPoolExecutor(8) as threads:
            pids = set(threads.map(lambda n: pool.call(_pid, n), range(40)))
        assert 1 <= len(pids) <= 2 and os.getpid() not in pids
    with pytest.raises(RuntimeError, match="shut down"):
        pool.call(_echo, 1)


def _loaded(names: list[str]) -> tuple[str, list[str]]:
    import sys  # noqa: PLC0415 (what the process has loaded, read in the process)

    main = sys.modules["__main__"].__spec__
    return (main.name if main else ""), [name for name in names if name in sys.modules]


def test_a_process_imports_only_what_its_calls_need() -> None:
    """Not the parent's main module (multiprocessing's children import it again), not the
    HTTP client, not the CLI: a process starts as ``python -m newsdesk.pipeline.processes`` and
    imports the modules of what it is sent (here this test module)."""
    with ProcessPool(1) as pool:
        unwanted = ["httpx", "newsdesk.cli", "newsdesk.pipeline.run", "newsdesk.fetch"]
        main, loaded = pool.call(_loaded, [*unwanted, "tests.test_workers"])
        assert (main, loaded) == ("newsdesk.pipeline.processes", ["tests.test_workers"])
