"""Both brokers through the one interface: the same tests run on the in-process broker and on Redis."""

import asyncio
import json
import time

import pytest

from app.live.broker import ALPHABET, CODE_LENGTH, LiveError, normalize_code
from tests.live.conftest import make_broker

pytestmark = pytest.mark.anyio


def parse(message: bytes) -> dict:
    """One encoded SSE message as {"id", "event", "data"}."""
    fields = {}
    for line in message.decode().splitlines():
        name, _, value = line.partition(": ")
        fields[name] = value
    return {"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])}


async def next_event(stream, timeout: float = 5) -> dict:
    return parse(await asyncio.wait_for(stream.__anext__(), timeout))


@pytest.fixture
async def broker(store):
    broker = make_broker(store)
    yield broker
    await broker.close()


STATE = {"lesson": "convolution", "lang": "en", "slide": 4, "query": "numbers.stride=2"}


async def test_create_gives_a_readable_code_and_a_128_bit_key(broker):
    code, key = await broker.create("convolution", "en")
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert not set(ALPHABET) & set("0O1IL2Z5S8BUV")
    assert len(key) == 22  # 16 random bytes, base64url
    assert normalize_code(code.lower()) == code
    assert await broker.exists(code)
    record = await broker.authorize(code, key)
    assert key not in record.key_digest and len(record.key_digest) == 64


async def test_wrong_key_and_unknown_code(broker):
    code, _ = await broker.create("convolution", "en")
    with pytest.raises(LiveError) as wrong:
        await broker.set_state(code, "not-the-key", STATE)
    assert wrong.value.status == 403
    with pytest.raises(LiveError) as unknown:
        await broker.authorize("AAAAAA", "x")
    assert (unknown.value.status, unknown.value.values) == (404, {"code": "AAAAAA"})


async def test_follower_gets_state_at_once_then_every_change(broker):
    code, key = await broker.create("convolution", "en")
    await broker.check_join(code)
    stream = broker.follow(code, None)
    first = await next_event(stream)
    assert first["event"] == "state"
    assert first["data"] == {"lesson": "convolution", "lang": "en", "slide": 1, "query": ""}
    await broker.set_state(code, key, STATE)
    second = await next_event(stream)
    assert (second["event"], second["data"]) == ("state", STATE)
    assert second["id"] > first["id"]
    assert await broker.followers(code) == 1
    await stream.aclose()
    assert await broker.followers(code) == 0


async def test_an_unchanged_state_sends_nothing(broker):
    code, key = await broker.create("convolution", "en")
    await broker.set_state(code, key, STATE)
    stream = broker.follow(code, None)
    first = await next_event(stream)
    await broker.set_state(code, key, STATE)
    await broker.set_state(code, key, {**STATE, "slide": 5})
    following = await next_event(stream)
    assert following["data"]["slide"] == 5 and following["id"] == first["id"] + 1
    await stream.aclose()


async def test_answers_are_counted_and_sent_to_followers(broker):
    code, key = await broker.create("convolution", "en")
    stream = broker.follow(code, None)
    await next_event(stream)
    assert await broker.record_answer(code, "convolution", "shape", True)
    assert await broker.record_answer(code, "convolution", "shape", False)
    assert await broker.record_answer(code, "pooling", "size", True)
    assert not await broker.record_answer("AAAAAA", "convolution", "shape", True)
    event = await next_event(stream)  # one message for all three: counts go out at most once a second
    expected = [{"lesson": "convolution", "id": "shape", "answered": 2, "correct": 1},
                {"lesson": "pooling", "id": "size", "answered": 1, "correct": 1}]
    assert event == {"id": event["id"], "event": "answers", "data": {"exercises": expected}}
    exercises, followers = await broker.read_answers(code, key)
    assert (exercises, followers) == (expected, 1)
    await stream.aclose()


async def test_last_event_id_resumes_without_repeating_old_counts(broker):
    code, key = await broker.create("convolution", "en")
    await broker.record_answer(code, "convolution", "shape", True)
    await asyncio.sleep(1.3)  # the counts' event has gone out
    fresh = broker.follow(code, None)
    state = await next_event(fresh)
    answers = await next_event(fresh)
    assert answers["event"] == "answers" and answers["id"] == state["id"]
    await fresh.aclose()
    # A browser that saw everything up to now gets the state again, and not the counts it has.
    resumed = broker.follow(code, state["id"])
    assert (await next_event(resumed))["event"] == "state"
    await broker.set_state(code, key, STATE)
    assert (await next_event(resumed))["data"] == STATE
    await resumed.aclose()
    # One that missed the counts gets them.
    behind = broker.follow(code, 1)
    assert [(await next_event(behind))["event"] for _ in range(2)] == ["state", "answers"]
    await behind.aclose()


async def test_end_reaches_followers_and_forgets_the_session(broker):
    code, key = await broker.create("convolution", "en")
    stream = broker.follow(code, None)
    await next_event(stream)
    await broker.end(code, key)
    assert (await next_event(stream))["event"] == "end"
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert not await broker.exists(code)
    with pytest.raises(LiveError) as gone:
        await broker.check_join(code)
    assert gone.value.status == 404


async def test_session_limit(store):
    broker = make_broker(store, max_sessions=2)
    await broker.create("convolution", "en")
    await broker.create("convolution", "en")
    with pytest.raises(LiveError) as full:
        await broker.create("convolution", "en")
    assert (full.value.status, full.value.key, full.value.values) == (409, "live_too_many", {"n": 2})
    await broker.close()


async def test_follower_limit(store):
    broker = make_broker(store, max_followers=2)
    code, _ = await broker.create("convolution", "en")
    streams = []
    for _ in range(2):
        await broker.check_join(code)
        streams.append(broker.follow(code, None))
        await next_event(streams[-1])
    with pytest.raises(LiveError) as full:
        await broker.check_join(code)
    assert (full.value.status, full.value.key) == (409, "live_full")
    await streams[0].aclose()
    await broker.check_join(code)  # a place came free
    await streams[1].aclose()
    await broker.close()


async def test_state_and_join_rates(store):
    broker = make_broker(store, state_per_minute=12, joins_per_minute=12)  # two per 10-second window
    code, key = await broker.create("convolution", "en")
    started = time.time()
    await broker.set_state(code, key, {**STATE, "slide": 2})
    await broker.set_state(code, key, {**STATE, "slide": 3})
    with pytest.raises(LiveError) as slow:
        await broker.set_state(code, key, {**STATE, "slide": 4})
    if time.time() // 10 == started // 10:  # still the same window (not at its edge)
        assert slow.value.status == 429 and 1 <= slow.value.retry_after <= 10
    for _ in range(2):
        await broker.check_join(code)
    with pytest.raises(LiveError) as joins:
        await broker.check_join(code)
    assert joins.value.status == 429 and joins.value.key == "live_slow_down"
    await broker.close()


async def test_idle_sessions_end(store):
    broker = make_broker(store, idle_seconds=1)
    code, key = await broker.create("convolution", "en")
    await asyncio.sleep(0.6)
    await broker.set_state(code, key, STATE)  # driving it keeps it alive
    await asyncio.sleep(0.6)
    assert await broker.exists(code)
    await asyncio.sleep(1.6)
    assert not await broker.exists(code)
    await broker.close()


async def test_a_stalled_follower_is_dropped_not_waited_for(broker):
    code, key = await broker.create("convolution", "en")
    stream = broker.follow(code, None)
    await next_event(stream)
    queue = next(iter(broker.hub.queues[code]))
    for slide in range(2, 2 + queue.maxsize + 1):
        broker.hub.dispatch(code, type("E", (), {"id": slide, "kind": "state", "data": "{}",
                                                 "encode": lambda self: b"x"})())
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()  # its stream closes; the browser reconnects with Last-Event-ID


async def test_followers_of_an_idle_session_get_end(store, monkeypatch):
    monkeypatch.setattr("app.live.broker.SWEEP_SECONDS", 0.2)
    broker = make_broker(store, idle_seconds=1)
    code, _ = await broker.create("convolution", "en")
    await broker.check_join(code)
    stream = broker.follow(code, None)
    await next_event(stream)
    assert (await next_event(stream, timeout=4))["event"] == "end"
    await stream.aclose()
    await broker.close()
