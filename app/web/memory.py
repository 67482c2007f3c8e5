"""Keeping a long-running server's memory flat under glibc's malloc.

What a soak showed (bench/soak.py, 8 clients, with mallinfo2 sampled inside the server): after warm-up the memory
malloc hands out stayed flat (about 217 MiB), while the free memory it kept in its heaps grew (205 → 229 MiB in
two minutes) and the resident set with it, 36 MiB a minute in a 3-minute `make soak`. Limiting the number of
arenas (MALLOC_ARENA_MAX=2) did not change that. Big temporary buffers (a parsed JSON body, a decoded photo, a
convolution's unfolded windows) come from the heap once glibc's adaptive mmap threshold has risen to their size,
and when they are freed their pages stay with the process, fragmented between smaller live blocks.

release_free_memory() calls malloc_trim(0), which hands free pages inside the heaps back to the system; the queues
call it after each job (at most every TRIM_INTERVAL seconds), as those are what make the big temporaries. With
it, a 4-minute soak went 799 → 1,015 MiB after warm-up → 1,020 MiB at the end (least-squares slope +7 MiB/min
after warm-up; 36 MiB/min without it).

Mapping every buffer of 1 MiB or more on its own (mallopt M_MMAP_THRESHOLD) lowered the resident set further,
but each such buffer then comes back as fresh zeroed pages: a ResNet-18 classification through the API took
40 ms instead of 20 ms on the CPU (`python -m bench api`), so the server leaves the threshold to glibc.

It does nothing where the C library is not glibc.
"""

import ctypes
import ctypes.util
import threading
import time

TRIM_INTERVAL = 2.0  # seconds


def _glibc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.malloc_trim  # noqa: B018  (glibc only)
    except (OSError, AttributeError):
        return None
    return libc


_libc = _glibc()
_lock = threading.Lock()
_last_trim = 0.0


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
