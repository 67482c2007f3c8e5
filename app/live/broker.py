"""The session broker: one interface over two stores, this process (MemoryBroker) or Redis (RedisBroker).

A session is a code, a presenter key (kept only as its SHA-256), the presenter's state and exercise counts.
Every change gets the next number of the session's sequence; that number is the SSE event id, so a browser
that reconnects with `Last-Event-ID` gets what it missed. Each process fans events out to the followers
connected to it through `Hub`: an event is encoded once and handed to every follower's queue.
"""

import asyncio
import dataclasses
import hashlib
import hmac
import json
import math
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sse_starlette.event import ServerSentEvent

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V: codes are read off a projector and typed on phones.
ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
CODE_LENGTH = 6
WINDOW = 10  # seconds: rate limits count requests in windows this long
SWEEP_SECONDS = 10  # how often a process looks for sessions that ended elsewhere or went idle
ANSWERS_DELAY = 1.0  # seconds: answer counts go out at most this often per session
QUEUE_SIZE = 32  # events waiting per follower before a stalled follower is dropped (it reconnects)


class LiveError(Exception):
    """A refusal the API answers with a 4xx; `key` names its message in app/web/locales/live.yaml."""

    def __init__(self, status: int, key: str, retry_after: int | None = None, **values):
        super().__init__(key)
        self.status, self.key, self.retry_after, self.values = status, key, retry_after, values


def normalize_code(raw: str) -> str | None:
    """The code as stored (upper case), or None when it can't be a code at all."""
    code = raw.strip().upper()
    if len(code) == CODE_LENGTH and all(c in ALPHABET for c in code):
        return code
    return None


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Limits:
    max_sessions: int = 200
    max_followers: int = 2000
    idle_seconds: float = 12 * 3600
    state_per_minute: int = 240
    joins_per_minute: int = 6000
    answers_per_minute: int = 12000

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(settings.live_max_sessions, settings.live_max_followers, settings.live_idle_seconds,
                   settings.live_state_per_minute, settings.live_joins_per_minute)


@dataclass
class Record:
    key_digest: str
    state: str  # JSON {"lesson", "lang", "slide", "query"}
    seq: int  # number of the latest event
    answers_seq: int  # number of the latest `answers` event (0: none yet)


@dataclass(frozen=True)
class Event:
    kind: str  # state | answers | end
    id: int
    data: str  # JSON

    def encode(self) -> bytes:
        return ServerSentEvent(self.data, event=self.kind, id=str(self.id), sep="\n").encode()


DROPPED = object()  # put in a stalled follower's queue: its stream closes and the browser reconnects


class Hub:
    """The followers connected to this process: a bounded queue each, grouped by session code."""

    def __init__(self):
        self.queues: dict[str, set[asyncio.Queue]] = {}

    def attach(self, code: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.queues.setdefault(code, set()).add(queue)
        return queue

    def detach(self, code: str, queue: asyncio.Queue) -> None:
        queues = self.queues.get(code)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.queues[code]

    def count(self, code: str) -> int:
        return len(self.queues.get(code, ()))

    def codes(self) -> list[str]:
        return list(self.queues)

    def dispatch(self, code: str, event: Event) -> None:
        queues = self.queues.get(code)
        if not queues:
            return
        item = (event.id, event.kind, event.encode())  # encoded once for every follower
        for queue in queues:
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(DROPPED)


def answers_list(counts: dict[str, tuple[int, int]]) -> list[dict]:
    """Counts keyed "lesson/id" as the API's list, in a stable order."""
    rows = []
    for name in sorted(counts):
        lesson, _, exercise = name.partition("/")
        answered, correct = counts[name]
        rows.append({"lesson": lesson, "id": exercise, "answered": answered, "correct": correct})
    return rows


class Broker(ABC):
    """Sessions, their state, counts and events. Subclasses store; this class decides."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.hub = Hub()
        self._pending_answers: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._sweeper: asyncio.Task | None = None

    # -- what the API calls --------------------------------------------------------------------

    async def create(self, lesson: str, lang: str) -> tuple[str, str]:
        """A new session showing the lesson's first slide: (code, presenter key)."""
        await self.start()
        key = secrets.token_urlsafe(16)  # 128 random bits
        state = encode_state({"lesson": lesson, "lang": lang, "slide": 1, "query": ""})
        for _ in range(20):
            code = new_code()
            if await self._insert(code, key_digest(key), state):
                return code, key
        raise LiveError(503, "live_no_code")

    async def authorize(self, code: str, key: str) -> Record:
        record = await self._load(code)
        if record is None:
            raise LiveError(404, "live_unknown", code=code)
        if not hmac.compare_digest(record.key_digest, key_digest(key)):
            raise LiveError(403, "live_wrong_key")
        return record

    async def exists(self, code: str) -> bool:
        return await self._load(code) is not None

    async def set_state(self, code: str, key: str, state: dict) -> None:
        await self.authorize(code, key)
        await self._limit("state:" + key_digest(key), self.limits.state_per_minute)
        data = encode_state(state)
        seq = await self._write_state(code, data)
        if seq is not None:
            await self._publish(code, Event("state", seq, data))

    async def read_answers(self, code: str, key: str) -> tuple[list[dict], int]:
        """Exercise counts and followers, for the presenter; reading them does not keep the session alive."""
        await self.authorize(code, key)
        return answers_list(await self._counts(code)), await self.followers(code)

    async def end(self, code: str, key: str) -> None:
        await self.authorize(code, key)
        seq = await self._delete(code)
        await self._publish(code, Event("end", seq, "{}"))

    async def record_answer(self, code: str, lesson: str, exercise: str, correct: bool) -> bool:
        """Count one checked answer; False when the session is unknown or its counting is saturated."""
        await self.start()
        if not await self.exists(code):
            return False
        try:
            await self._limit("answers:" + code, self.limits.answers_per_minute)
        except LiveError:
            return False
        await self._count(code, f"{lesson}/{exercise}", correct)
        if code not in self._pending_answers and await self._claim_answers(code):
            self._pending_answers.add(code)
            self._spawn(self._send_answers_later(code))
        return True

    async def check_join(self, code: str) -> None:
        """Raise unless one more follower may join: the session exists, isn't full, isn't flooded."""
        await self.start()
        if not await self.exists(code):
            raise LiveError(404, "live_unknown", code=code)
        await self._limit("join:" + code, self.limits.joins_per_minute)
        if await self.followers(code) >= self.limits.max_followers:
            raise LiveError(409, "live_full", n=self.limits.max_followers)

    async def follow(self, code: str, last_event_id: int | None) -> AsyncIterator[bytes]:
        """The session's events as encoded SSE messages: the current state at once, then every change."""
        queue = self.hub.attach(code)
        self._followers_changed(code)
        try:
            record = await self._load(code)  # read after attaching, so no change falls in between
            if record is None:
                yield Event("end", 0, "{}").encode()
                return
            resuming = last_event_id is not None and last_event_id <= record.seq
            yield Event("state", record.seq, record.state).encode()
            if record.answers_seq and (not resuming or record.answers_seq > last_event_id):
                yield Event("answers", record.seq, encode_answers(await self._counts(code))).encode()
            sent = record.seq
            while True:
                item = await queue.get()
                if item is DROPPED:
                    return
                event_id, kind, payload = item
                if event_id <= sent and kind != "end":
                    continue
                sent = event_id
                yield payload
                if kind == "end":
                    return
        finally:
            self.hub.detach(code, queue)
            self._followers_changed(code)

    async def close(self) -> None:
        for task in [self._sweeper, *self._tasks]:
            if task is not None:
                task.cancel()
        self._sweeper = None

    # -- shared machinery ----------------------------------------------------------------------

    async def start(self) -> None:
        """Start this process's background work (once; every entry point calls it)."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    def _spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self._sweep()
            except Exception:  # a store that is briefly away must not stop the sweeping
                continue

    async def _sweep(self) -> None:
        """End, for this process's followers, the sessions that are gone (idle, or ended elsewhere)."""
        for code in self.hub.codes():
            if await self._load(code) is None:
                self.hub.dispatch(code, Event("end", 0, "{}"))

    async def _send_answers_later(self, code: str) -> None:
        await asyncio.sleep(ANSWERS_DELAY)
        self._pending_answers.discard(code)
        seq = await self._next_answers_seq(code)
        if seq is not None:
            await self._publish(code, Event("answers", seq, encode_answers(await self._counts(code))))

    async def _limit(self, bucket: str, per_minute: int) -> None:
        allowed = max(1, math.ceil(per_minute * WINDOW / 60))
        now = time.time()
        window = int(now // WINDOW)
        if await self._hit(f"{bucket}:{window}") > allowed:
            raise LiveError(429, "live_slow_down", retry_after=max(1, math.ceil((window + 1) * WINDOW - now)))

    # -- what a store provides -----------------------------------------------------------------

    @abstractmethod
    async def _insert(self, code: str, digest: str, state: str) -> bool:
        """Store a new session; False if the code is taken; LiveError 409 when there are too many."""

    @abstractmethod
    async def _load(self, code: str) -> Record | None: ...

    @abstractmethod
    async def _write_state(self, code: str, state: str) -> int | None:
        """Store the state and return its event number; None when it equals the stored one."""

    @abstractmethod
    async def _delete(self, code: str) -> int:
        """Forget the session; return the number for its `end` event."""

    @abstractmethod
    async def _count(self, code: str, name: str, correct: bool) -> None: ...

    @abstractmethod
    async def _counts(self, code: str) -> dict[str, tuple[int, int]]: ...

    @abstractmethod
    async def _next_answers_seq(self, code: str) -> int | None: ...

    @abstractmethod
    async def _claim_answers(self, code: str) -> bool:
        """True for the one caller per ANSWERS_DELAY (across processes) that sends the counts out."""

    @abstractmethod
    async def _hit(self, bucket: str) -> int:
        """Count one request in a rate-limit bucket that lives one WINDOW; return the count."""

    @abstractmethod
    async def _publish(self, code: str, event: Event) -> None: ...

    @abstractmethod
    async def followers(self, code: str) -> int:
        """Followers of the session in every process."""

    def _followers_changed(self, code: str) -> None:
        """Called when this process's followers of a session come or go."""


def encode_state(state: dict) -> str:
    return json.dumps({k: state[k] for k in ("lesson", "lang", "slide", "query")}, ensure_ascii=False,
                      separators=(",", ":"))


def encode_answers(counts: dict[str, tuple[int, int]]) -> str:
    return json.dumps({"exercises": answers_list(counts)}, ensure_ascii=False, separators=(",", ":"))


class MemoryBroker(Broker):
    """Sessions in this process's memory: `make run` needs nothing else."""

    def __init__(self, limits: Limits):
        super().__init__(limits)
        self._sessions: dict[str, Record] = {}
        self._touched: dict[str, float] = {}
        self._answers: dict[str, dict[str, tuple[int, int]]] = {}
        self._hits: dict[str, int] = {}
        self._hits_window = 0

    def _expire(self) -> None:
        deadline = time.monotonic() - self.limits.idle_seconds
        for code in [c for c, t in self._touched.items() if t < deadline]:
            self._forget(code)

    def _forget(self, code: str) -> Record | None:
        self._touched.pop(code, None)
        self._answers.pop(code, None)
        return self._sessions.pop(code, None)

    async def _insert(self, code, digest, state):
        self._expire()
        if code in self._sessions:
            return False
        if len(self._sessions) >= self.limits.max_sessions:
            raise LiveError(409, "live_too_many", n=self.limits.max_sessions)
        self._sessions[code] = Record(digest, state, 1, 0)
        self._touched[code] = time.monotonic()
        return True

    async def _load(self, code):
        record = self._sessions.get(code)
        if record is not None and self._touched[code] < time.monotonic() - self.limits.idle_seconds:
            self._forget(code)
            return None
        return dataclasses.replace(record) if record else None  # a copy: the stored one changes

    async def _write_state(self, code, state):
        record = self._sessions[code]
        self._touched[code] = time.monotonic()
        if record.state == state:
            return None
        record.state, record.seq = state, record.seq + 1
        return record.seq

    async def _delete(self, code):
        record = self._forget(code)
        return (record.seq if record else 0) + 1

    async def _count(self, code, name, correct):
        table = self._answers.setdefault(code, {})
        answered, right = table.get(name, (0, 0))
        table[name] = (answered + 1, right + int(correct))

    async def _counts(self, code):
        return dict(self._answers.get(code, {}))

    async def _next_answers_seq(self, code):
        record = self._sessions.get(code)
        if record is None:
            return None
        record.seq += 1
        record.answers_seq = record.seq
        return record.seq

    async def _claim_answers(self, code):
        return True

    async def _hit(self, bucket):
        window = int(time.time() // WINDOW)
        if window != self._hits_window:  # a new window: the old counts can go
            self._hits, self._hits_window = {}, window
        self._hits[bucket] = self._hits.get(bucket, 0) + 1
        return self._hits[bucket]

    async def _publish(self, code, event):
        self.hub.dispatch(code, event)

    async def followers(self, code):
        return self.hub.count(code)

    async def _sweep(self):
        self._expire()
        await super()._sweep()
