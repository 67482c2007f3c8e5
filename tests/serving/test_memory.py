"""app.web.memory: big buffers are mapped on their own and freed pages go back (why: the module's docstring)."""

import ctypes

import pytest

from app.web import memory, service
from app.web.service import ModelService

glibc = pytest.mark.skipif(memory._libc is None, reason="glibc's malloc only")


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def mapped_bytes() -> int:
    """Bytes malloc holds in chunks mapped on their own (mallinfo2's hblkhd)."""
    libc = memory._libc
    libc.mallinfo2.restype = MallInfo2
    return libc.mallinfo2().hblkhd


@glibc
def test_after_tuning_a_big_buffer_is_mapped_even_after_a_bigger_one_was_freed(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert memory.tune_malloc()
    libc = memory._libc
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    # Untuned, freeing a 16 MiB mapped chunk raises glibc's threshold to 16 MiB, and the next 4 MiB would come
    # from the heap, where its pages stay after free.
    libc.free(libc.malloc(16 * 2**20))
    before = mapped_bytes()
    buffer = libc.malloc(4 * 2**20)
    try:
        assert mapped_bytes() - before >= 4 * 2**20
    finally:
        libc.free(buffer)
    assert mapped_bytes() == before  # given back on free


@glibc
def test_glibc_own_setting_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "262144")
    assert not memory.tune_malloc()


@glibc
def test_free_memory_is_released_at_most_every_interval(monkeypatch):
    monkeypatch.setattr(memory, "_last_trim", 0.0)
    assert memory.release_free_memory()
    assert not memory.release_free_memory()  # again within TRIM_INTERVAL seconds
    monkeypatch.setattr(memory, "_last_trim", memory._last_trim - memory.TRIM_INTERVAL)
    assert memory.release_free_memory()


def test_every_queued_job_ends_by_releasing_free_memory(monkeypatch):
    calls = []
    monkeypatch.setattr(service, "release_free_memory", lambda: calls.append(1))
    queue = ModelService("cpu", max_waiting=2)
    assert queue.run(lambda device: device) == "cpu"
    with pytest.raises(ZeroDivisionError):
        queue.run(lambda device: 1 / 0)
    assert len(calls) == 2
    queue.run_small(lambda device: device)  # small work makes no big temporaries
    assert len(calls) == 2
