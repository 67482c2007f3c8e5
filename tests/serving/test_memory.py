"""app.web.memory: big buffers are mapped on their own and freed pages go back (why: the module's docstring)."""

import os
import subprocess
import sys

import pytest

from app.settings import ROOT
from app.web import memory, service
from app.web.service import ModelService

glibc = pytest.mark.skipif(memory._libc is None, reason="glibc's malloc only")


# Run in a fresh interpreter: malloc's state there is known (a big free chunk already in the heap would serve a
# request whatever the threshold). Prints the bytes newly mapped for a 4 MiB malloc made right after a 16 MiB
# buffer was freed: untuned glibc raises its mmap threshold to 16 MiB on that free, so the 4 MiB come from the
# heap, where their pages stay after free.
PROBE = """
import ctypes, sys
from app.web import memory
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                 "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = memory._libc
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "tuned":
    assert memory.tune_malloc()
libc.free(libc.malloc(16 * 2**20))
before = libc.mallinfo2().hblkhd
buffer = libc.malloc(4 * 2**20)
mapped = libc.mallinfo2().hblkhd - before
libc.free(buffer)
print(mapped, libc.mallinfo2().hblkhd - before)
"""


def mapped_for_4_mib(mode: str) -> tuple[int, int]:
    """(bytes mapped while the 4 MiB buffer lives, after it is freed) in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120, check=True).stdout.split()
    return int(out[0]), int(out[1])


@glibc
def test_after_tuning_a_big_buffer_is_mapped_even_after_a_bigger_one_was_freed():
    live, after_free = mapped_for_4_mib("tuned")
    assert live >= 4 * 2**20 and after_free == 0  # mapped on its own, and given back on free
    assert mapped_for_4_mib("untuned") == (0, 0)  # from the heap: what tune_malloc changes


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
