"""computed_once: functools.lru_cache with single flight, for tables that depend only on their arguments.

lru_cache is thread-safe but not single-flight: fifty requests arriving together on a fresh server would
each run a meta-device forward pass (seconds) before the first one stored its result. Here the first caller
computes and the others wait for its result.
"""

import threading
from collections.abc import Callable
from functools import lru_cache, wraps


def computed_once(fn: Callable) -> Callable:
    """`fn` computed once per argument tuple, however many threads ask at once (results kept for the process)."""
    cached = lru_cache(maxsize=None)(fn)
    lock = threading.RLock()  # reentrant: a cached function may call itself with other arguments

    @wraps(fn)
    def wrapper(*args):
        with lock:
            return cached(*args)

    wrapper.cache_clear = cached.cache_clear
    wrapper.cache_info = cached.cache_info
    return wrapper
