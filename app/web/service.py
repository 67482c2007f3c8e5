"""Heavy model work, kept from swamping the server: one bounded queue per device, micro-batching of
classification on a GPU, a cache for sample photos, and one computation for identical requests.

Routes are plain `def` (FastAPI runs them in its thread pool) and block on `ModelService.run`.
"""

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import torch

from app.compute.errors import InputError
from app.lessons import LANGUAGES
from app.web.i18n import translate
from app.web.memory import release_free_memory


# Multiply-adds under which a computation runs in the request's own thread, on the CPU with one torch
# thread: a queue hop, a GPU launch or torch's thread pool would each cost more than the work itself.
SMALL_WORK = 1_000_000


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """torch's intra-op threads set to 1 for this thread only (OpenMP and MKL keep the count per thread)."""
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)


class Busy(Exception):
    """The device's queue is full; the client should retry after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__("busy")
        self.retry_after = retry_after

    def message(self, lang: str) -> str:
        return translate(lang if lang in LANGUAGES else "en", "server_busy", seconds=self.retry_after)


@dataclass
class _Pending:
    item: Any
    future: Future = field(default_factory=Future)


class MicroBatcher:
    """Groups single calls into batches: at most `max_batch` items, waiting at most `max_wait` s for more."""

    def __init__(self, run_batch: Callable[[list], list], max_batch: int = 16, max_wait: float = 0.010):
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self.batches = self.items = 0  # run so far: items / batches is the mean batch size
        self._thread = threading.Thread(target=self._loop, name="stride-batcher", daemon=True)
        self._thread.start()

    def submit(self, item) -> Future:
        pending = _Pending(item)
        with self._cond:
            self._queue.append(pending)
            self._cond.notify()
        return pending.future

    def _take(self) -> list[_Pending]:
        with self._cond:
            while not self._queue:
                self._cond.wait()
            deadline = time.monotonic() + self.max_wait
            while len(self._queue) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch:]
            return batch

    def _loop(self):
        while True:
            # A request that gave up (timed out, client gone) cancelled its future: leave it out.
            batch = [p for p in self._take() if p.future.set_running_or_notify_cancel()]
            if not batch:
                continue
            self.batches += 1
            self.items += len(batch)
            try:
                results = self.run_batch([p.item for p in batch])
            except BaseException as exc:  # every waiting request learns what went wrong
                for p in batch:
                    p.future.set_exception(exc)
                continue
            for p, result in zip(batch, results, strict=True):
                if isinstance(result, Exception):  # this item alone failed (a damaged upload, say)
                    p.future.set_exception(result)
                else:
                    p.future.set_result(result)

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)


class ModelService:
    """Runs model calls on one device through a bounded queue, with a result cache and single-flight."""

    def __init__(self, device: str, max_waiting: int, workers: int = 1, cache_size: int = 64, timeout: float = 120.0):
        self.device = device
        self.max_waiting = max_waiting
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"stride-{device}")
        self._waiting = 0
        self._lock = threading.RLock()  # done-callbacks may run at once, in the thread that holds it
        self._inflight: dict[Hashable, Future] = {}
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._cache_size = cache_size
        # gave_up: callers whose wait ran out before their result came (503 + Retry-After)
        self.stats = {"computed": 0, "cached": 0, "joined": 0, "refused": 0, "gave_up": 0, "cpu_fallbacks": 0,
                      "inline": 0}

    def run(self, fn: Callable[[str], Any], key: Hashable | None = None, cache: bool = False,
            wait: float | None = None) -> Any:
        """`fn(device)` on the worker; identical keys share one computation, `cache` keeps the result.

        wait: the most seconds this caller waits for the result, whether it started the computation or joined one
        already running (None: the service's `timeout`); then Busy. The computation goes on, and with `cache` its
        result is kept for the caller's retry. Page fragments wait briefly (settings.page_wait), API calls long.
        """
        return self._admit(lambda: self._executor.submit(self._call, fn), key, cache, wait)

    def run_small(self, fn: Callable[[str], Any]) -> Any:
        """`fn("cpu")` here and now, with one torch thread: for work under SMALL_WORK multiply-adds, which needs
        no place in the queue (its memory is bounded by what the request already holds)."""
        with self._lock:
            self.stats["inline"] += 1
        with one_torch_thread():
            return fn("cpu")

    def run_batched(self, batcher: "MicroBatcher", item, key: Hashable | None = None, cache: bool = False) -> Any:
        """Like run, but the work joins `batcher`'s next batch instead of taking a worker of its own."""
        return self._admit(lambda: batcher.submit(item), key, cache)

    async def run_batched_async(self, batcher: "MicroBatcher", item, max_waiting: int) -> Any:
        """`item` into `batcher`'s next batch, awaited without holding a thread; 503 when `max_waiting` items
        already wait for that batcher. For device batches, whose waiting items hold only their upload."""
        with self._lock:
            if batcher.pending() >= max_waiting:
                self.stats["refused"] += 1
                raise Busy(retry_after=1)
            self.stats["computed"] += 1
        try:
            return await asyncio.wait_for(asyncio.wrap_future(batcher.submit(item)), self.timeout)
        except TimeoutError:
            raise Busy(retry_after=5) from None

    def _admit(self, submit: Callable[[], Future], key: Hashable | None, cache: bool,
               wait: float | None = None) -> Any:
        with self._lock:
            if key is not None and key in self._cache:
                self._cache.move_to_end(key)
                self.stats["cached"] += 1
                return self._cache[key]
            if key is not None and key in self._inflight:
                future = self._inflight[key]
                self.stats["joined"] += 1
            else:
                if self._waiting >= self.max_waiting:
                    self.stats["refused"] += 1
                    raise Busy(retry_after=max(1, self._waiting // 4))
                self._waiting += 1
                future = submit()
                future.add_done_callback(lambda _: self._done())
                if key is not None:
                    self._inflight[key] = future
                    future.add_done_callback(lambda f, k=key: self._finish(k, f, cache))
                self.stats["computed"] += 1
        limit = self.timeout if wait is None else min(wait, self.timeout)
        try:
            return future.result(timeout=limit)
        except FutureTimeout:
            with self._lock:
                self.stats["gave_up"] += 1
                # Asked again after a short wait: by then a computation under way is often done (and kept).
                raise Busy(retry_after=5 if wait is None else max(2, self._waiting // 4)) from None

    def _done(self):
        with self._lock:
            self._waiting -= 1

    def _finish(self, key, future: Future, cache: bool):
        with self._lock:
            self._inflight.pop(key, None)
            if cache and future.exception() is None:
                self._cache[key] = future.result()
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)

    def _call(self, fn: Callable[[str], Any]):
        try:
            return self._attempt(fn)
        finally:
            release_free_memory()  # a queued job's big temporaries: their pages back to the system (app.web.memory)

    def _attempt(self, fn: Callable[[str], Any]):
        try:
            return fn(self.device)
        except torch.OutOfMemoryError:
            # The GPU ran out of memory: free what we can and do this one on the CPU instead.
            if self.device == "cuda":
                torch.cuda.empty_cache()
                with self._lock:
                    self.stats["cpu_fallbacks"] += 1
                return fn("cpu")
            raise InputError(
                en="The server ran out of memory for this request. Try a smaller image.",
                ru="Серверу не хватило памяти для этого запроса. Попробуйте изображение поменьше.",
                status=503,
            ) from None

    def status(self) -> dict:
        with self._lock:
            return {"device": self.device, "waiting": self._waiting, "max_waiting": self.max_waiting,
                    "cached": len(self._cache), **self.stats}
