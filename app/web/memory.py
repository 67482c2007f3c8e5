"""Keeping a long-running server's memory flat under glibc's malloc.

What a soak showed (bench/soak.py, 8 clients, with mallinfo2 sampled inside the server): after warm-up the memory
malloc hands out stayed flat (about 217 MiB), while the free memory it kept in its heaps grew (205 → 229 MiB in
two minutes) and the resident set with it, 36 MiB a minute in a 3-minute `make soak`. Limiting the number of
arenas (MALLOC_ARENA_MAX=2) did not change that. Big temporary buffers (a parsed JSON body, a decoded photo, a
convolution's unfolded windows) come from the heap once glibc's adaptive mmap threshold has risen to their size,
and when they are freed their pages stay with the process, fragmented between smaller live blocks. Two standard
answers, both here (with them: 3.4 MiB a minute over 6 minutes, and about 250 MiB less after 3 minutes):

- tune_malloc(): buffers of MMAP_THRESHOLD bytes or more are mapped on their own and given back when freed
  (mallopt M_MMAP_THRESHOLD, which also stops the threshold from adapting upwards);
- release_free_memory(): malloc_trim(0) hands free pages inside the heaps back to the system; the queues call
  it after each job (at most every TRIM_INTERVAL seconds), as those are what make the big temporaries.

Both do nothing where the C library is not glibc. MALLOC_MMAP_THRESHOLD_ in the environment (glibc's own
setting) wins over tune_malloc.
"""

import ctypes
import ctypes.util
import os
import threading
import time

MMAP_THRESHOLD = 1024 * 1024  # bytes
TRIM_INTERVAL = 2.0  # seconds
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def _glibc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018  (both exist only in glibc)
    except (OSError, AttributeError):
        return None
    return libc


_libc = _glibc()
_lock = threading.Lock()
_last_trim = 0.0


def tune_malloc() -> bool:
    """Big buffers mapped on their own (see the module's docstring); True when the setting took."""
    if _libc is None or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    return bool(_libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_free_memory() -> bool:
    """malloc_trim(0), unless it ran less than TRIM_INTERVAL seconds ago; True when it ran."""
    global _last_trim
    if _libc is None:
        return False
    now = time.monotonic()
    with _lock:
        if now - _last_trim < TRIM_INTERVAL:
            return False
        _last_trim = now
    _libc.malloc_trim(0)
    return True
