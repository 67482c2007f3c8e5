"""app.web.memory: free heap pages go back to the system after queued jobs (why: the module's docstring)."""

import pytest

from app.web import memory, service
from app.web.service import ModelService

glibc = pytest.mark.skipif(memory._libc is None, reason="glibc's malloc only")


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
