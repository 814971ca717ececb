"""The allocator tuning for a process about to read a big file (no numpy needed here)."""

from __future__ import annotations

import os
import sys
from typing import Any


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory in this process (Linux only); True if it was done.

    For programs that own their process and read big files: the ``tallyroom`` command asks
    for it (``own_process=True`` to :func:`~tallyroom.ballots.formats.read`,
    :func:`~tallyroom.ballots.formats.blt.read_blt` or
    :func:`~tallyroom.ballots.sharded.read_sharded`), and then it is done just before a file
    is read by the fast path.  The fast reader makes many short-lived arrays of a few MB; by
    default glibc gives each one fresh pages from the kernel and hands them back when it is
    freed, so every array pays for page faults again (a third of the reading time of a
    ten-million-paper file on a small machine).  With this, blocks up to 32 MB come from
    the heap and the heap is trimmed only past 1 GB free.  It is the tuning Dask's
    documentation gives for its workers (``MALLOC_TRIM_THRESHOLD_``).  It lasts for the
    life of the process, so the library never does it unless its caller asks; and it is
    left alone when ``MALLOC_TRIM_THRESHOLD_`` or ``MALLOC_MMAP_THRESHOLD_`` is set.
    """
    if any(k in os.environ for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")):
        return False
    libc = _glibc()
    if libc is None:
        return False
    ok = libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's own upper bound for it
    return bool(ok and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30))


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h


def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018  # glibc, not musl
        return libc
    except (OSError, AttributeError):
        return None
