"""Independent per-ballot work spread over worker processes.

The cost of the sealed box is libsodium's scalar multiplications, and nearly all of them
are independent of one another: one ballot's re-encryption, decryption factor or
Chaum--Pedersen check does not wait for another's, and the long products of a proof of
shuffle (``prod a_i^{e_i}``) split into partial products.  :func:`run` cuts such work into
chunks and hands them to a pool of processes (libsodium holds the GIL for each call, so
threads would not help); the results are put back in order, and since the group is exact
the answer is the same whatever the number of workers or chunks.

The pool is made on first use and lives as long as the process: forked from a process
running no other thread, else started from a clean server process (``forkserver``: the
service's threads are never forked).  Should the workers fail to start or die, the work is
done in this process instead (with a warning), never lost.  Its size is
``TALLYROOM_SEALED_WORKERS`` if set (``1`` runs everything in this process), else the
number of CPUs this process may use, at most 8.  Work too small to repay the hand-over
(fewer than :data:`MIN_PARALLEL` items) runs here.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

#: below this many items a job runs in the calling process
MIN_PARALLEL = 2000

_pool: Executor | None = None
_pool_size = 0
_broken = False


def worker_count() -> int:
    env = os.environ.get("TALLYROOM_SEALED_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(
                f"TALLYROOM_SEALED_WORKERS: found {env!r}; expected a whole number of processes"
            ) from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def _executor(size: int) -> Executor:
    global _pool, _pool_size
    if _pool is None or _pool_size != size:
        if _pool is not None:
            _pool.shutdown(wait=True)
        methods = multiprocessing.get_all_start_methods()
        # fork a process that runs no other thread (a command, the benchmark): cheap, and
        # no main module to import again; a threaded one (the web service) forks a clean
        # server process instead, whose main module must be import-safe
        if "fork" in methods and threading.active_count() == 1:
            method = "fork"
        else:
            method = "forkserver" if "forkserver" in methods else "spawn"
        _pool = ProcessPoolExecutor(
            max_workers=size, mp_context=multiprocessing.get_context(method)
        )
        _pool_size = size
    return _pool


def _drop_pool() -> None:
    global _pool, _broken
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool, _broken = None, True


def chunks(n: int, parts: int) -> list[range]:
    """``range(n)`` cut into ``parts`` consecutive pieces of nearly equal length."""
    parts = max(1, min(parts, n))
    step, extra = divmod(n, parts)
    out, start = [], 0
    for p in range(parts):
        end = start + step + (1 if p < extra else 0)
        out.append(range(start, end))
        start = end
    return out


def run(
    fn: Callable[..., T],
    n: int,
    args_of: Callable[[range], Sequence[Any]],
    *,
    min_parallel: int | None = None,
) -> list[T]:
    """``[fn(*args_of(r)) for r in pieces]`` over consecutive pieces covering ``range(n)``,
    in order; in worker processes when ``n`` is large enough and workers are allowed.
    ``fn`` must be a module-level function (it is sent to the workers by name)."""
    workers = worker_count()
    if _broken or workers <= 1 or n < (MIN_PARALLEL if min_parallel is None else min_parallel):
        return [fn(*args_of(range(n)))]
    # a few pieces per worker, so that a worker slowed by the machine's other load does
    # not hold the others up for long
    pieces = chunks(n, workers * 4)
    try:
        ex = _executor(workers)
        futures = [ex.submit(fn, *args_of(r)) for r in pieces]
        return [f.result() for f in futures]
    except BrokenProcessPool as err:
        # a worker could not start or died (killed, or a main module that is not
        # import-safe): the same work, in this process, from now on
        _drop_pool()
        warnings.warn(
            f"tallyroom.sealed: worker processes unavailable ({err}); working in one process",
            RuntimeWarning,
            stacklevel=2,
        )
        return [fn(*args_of(range(n)))]


def workers_cpu_seconds() -> float:
    """CPU seconds used so far by the pool's live workers (for the benchmark)."""
    if _pool is None or not isinstance(_pool, ProcessPoolExecutor):
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in list(getattr(_pool, "_processes", {}) or {}):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total
