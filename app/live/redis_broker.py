"""Sessions in Redis, so every worker and replica serves every session (STRIDE_REDIS_URL).

Keys, all under `stride:live:` and all expiring: `s:{code}` (hash: key digest, state, seq, answers_seq),
`a:{code}` (hash: `{lesson}/{id}|n` answered, `|c` correct), `f:{code}` (hash: followers per process),
`sessions` (sorted set: code by idle deadline), `rl:{bucket}` (rate-limit counters), `ab:{code}` (who sends the
next counts). Events go out on one pub/sub channel; each process listens once and fans out to its followers.
"""

import asyncio
import json
import secrets
import time

import redis.asyncio as redis

from app.live.broker import ANSWERS_DELAY, SWEEP_SECONDS, WINDOW, Broker, Event, Limits, LiveError, Record

PREFIX = "stride:live:"
CHANNEL = PREFIX + "events"
SESSIONS = PREFIX + "sessions"
FLUSH_SECONDS = 0.2  # follower counts reach Redis this long after they change
POOL_SIZE = 32  # Redis connections per process (pub/sub has its own)
LISTEN_TIMEOUT = 2  # seconds to wait for the pub/sub subscription before answering 503

CREATE = """
redis.call('zremrangebyscore', KEYS[2], '-inf', ARGV[4])
if redis.call('zcard', KEYS[2]) >= tonumber(ARGV[5]) then return -1 end
if redis.call('exists', KEYS[1]) == 1 then return 0 end
redis.call('hset', KEYS[1], 'key', ARGV[1], 'state', ARGV[2], 'seq', 1, 'answers_seq', 0)
redis.call('expire', KEYS[1], ARGV[3])
redis.call('zadd', KEYS[2], ARGV[4] + ARGV[3], ARGV[6])
return 1
"""

WRITE_STATE = """
if redis.call('exists', KEYS[1]) == 0 then return -1 end
for i = 1, 3 do redis.call('expire', KEYS[i], ARGV[2]) end
redis.call('zadd', KEYS[4], ARGV[3], ARGV[4])
if redis.call('hget', KEYS[1], 'state') == ARGV[1] then return 0 end
redis.call('hset', KEYS[1], 'state', ARGV[1])
return redis.call('hincrby', KEYS[1], 'seq', 1)
"""

DELETE = """
local seq = tonumber(redis.call('hget', KEYS[1], 'seq') or '0')
redis.call('del', KEYS[1], KEYS[2], KEYS[3])
redis.call('zrem', KEYS[4], ARGV[1])
return seq + 1
"""

NEXT_ANSWERS = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
local seq = redis.call('hincrby', KEYS[1], 'seq', 1)
redis.call('hset', KEYS[1], 'answers_seq', seq)
return seq
"""


class RedisBroker(Broker):
    def __init__(self, url: str, limits: Limits):
        super().__init__(limits)
        # A bounded pool: a class joining at once waits for a connection rather than opening hundreds.
        pool = redis.BlockingConnectionPool.from_url(url, decode_responses=True, max_connections=POOL_SIZE, timeout=10)
        self.redis = redis.Redis.from_pool(pool)
        self.process = secrets.token_hex(6)  # this process's name in the follower counts
        self._create = self.redis.register_script(CREATE)
        self._write = self.redis.register_script(WRITE_STATE)
        self._remove = self.redis.register_script(DELETE)
        self._next_answers = self.redis.register_script(NEXT_ANSWERS)
        self._listener: asyncio.Task | None = None
        self._listening = asyncio.Event()
        self._dirty: set[str] = set()
        self._flusher: asyncio.Task | None = None

    @staticmethod
    def _keys(code: str) -> list[str]:
        return [f"{PREFIX}s:{code}", f"{PREFIX}a:{code}", f"{PREFIX}f:{code}"]

    def _idle(self) -> int:
        return max(1, int(self.limits.idle_seconds))

    async def start(self) -> None:
        await super().start()
        if self._listener is None or self._listener.done():
            self._listening = asyncio.Event()
            self._listener = asyncio.get_running_loop().create_task(self._listen_forever())
        # Nothing may be published for a follower before this process listens.
        try:
            await asyncio.wait_for(self._listening.wait(), timeout=LISTEN_TIMEOUT)
        except asyncio.TimeoutError:
            raise redis.ConnectionError("Redis does not answer the subscription") from None

    async def _listen_forever(self) -> None:
        first = True
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self._listening.set()
                    if not first:
                        await self._resync()
                    first = False
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: listen again, then resend what may have been missed
                await asyncio.sleep(1)

    def _deliver(self, raw: str) -> None:
        try:
            message = json.loads(raw)
            event = Event(message["kind"], int(message["id"]), message["data"])
        except (ValueError, KeyError, TypeError):
            return
        self.hub.dispatch(message.get("code", ""), event)

    async def _resync(self) -> None:
        """After a gap in listening: this process's followers get the current state (duplicates are skipped)."""
        for code in self.hub.codes():
            record = await self._load(code)
            if record is None:
                self.hub.dispatch(code, Event("end", 0, "{}"))
            else:
                self.hub.dispatch(code, Event("state", record.seq, record.state))

    async def close(self) -> None:
        for task in (self._listener, self._flusher):
            if task is not None:
                task.cancel()
        await super().close()
        await self.redis.aclose()

    # -- the store -----------------------------------------------------------------------------

    async def _insert(self, code, digest, state):
        now = int(time.time())
        done = await self._create(keys=[self._keys(code)[0], SESSIONS],
                                  args=[digest, state, self._idle(), now, self.limits.max_sessions, code])
        if done == -1:
            raise LiveError(409, "live_too_many", n=self.limits.max_sessions)
        return done == 1

    async def _load(self, code):
        fields = await self.redis.hgetall(self._keys(code)[0])
        if not fields or "key" not in fields:
            return None
        return Record(fields["key"], fields["state"], int(fields["seq"]), int(fields.get("answers_seq", 0)))

    async def _write_state(self, code, state):
        seq = await self._write(keys=[*self._keys(code), SESSIONS],
                                args=[state, self._idle(), int(time.time()) + self._idle(), code])
        if seq == -1:
            raise LiveError(404, "live_unknown", code=code)
        return seq or None

    async def _delete(self, code):
        return await self._remove(keys=[*self._keys(code), SESSIONS], args=[code])

    async def _count(self, code, name, correct):
        key = self._keys(code)[1]
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, name + "|n", 1)
            if correct:
                pipe.hincrby(key, name + "|c", 1)
            pipe.expire(key, self._idle())
            await pipe.execute()

    async def _counts(self, code):
        counts: dict[str, list[int]] = {}
        for field, value in (await self.redis.hgetall(self._keys(code)[1])).items():
            name, _, which = field.rpartition("|")
            counts.setdefault(name, [0, 0])[0 if which == "n" else 1] = int(value)
        return {name: (n, c) for name, (n, c) in counts.items()}

    async def _next_answers_seq(self, code):
        return await self._next_answers(keys=[self._keys(code)[0]]) or None

    async def _claim_answers(self, code):
        return bool(await self.redis.set(f"{PREFIX}ab:{code}", "1", nx=True, px=int(ANSWERS_DELAY * 1000)))

    async def _hit(self, bucket):
        key = f"{PREFIX}rl:{bucket}"
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2 * WINDOW)
            count, _ = await pipe.execute()
        return int(count)

    async def _publish(self, code, event):
        await self.redis.publish(CHANNEL, json.dumps({"code": code, "kind": event.kind, "id": event.id,
                                                      "data": event.data}))

    # -- followers across processes: each process writes its own count with a timestamp ----------

    async def followers(self, code):
        fresh = time.time() - 3 * SWEEP_SECONDS
        total = self.hub.count(code)
        for process, value in (await self.redis.hgetall(self._keys(code)[2])).items():
            count, _, stamp = value.partition(":")
            if process != self.process and float(stamp or 0) >= fresh:
                total += int(count)
        return total

    def _followers_changed(self, code):
        self._dirty.add(code)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        codes, self._dirty = self._dirty, set()
        await self._write_followers(codes)

    async def _write_followers(self, codes) -> None:
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            for code in codes:
                key, count = self._keys(code)[2], self.hub.count(code)
                if count:
                    pipe.hset(key, self.process, f"{count}:{now:.0f}")
                    pipe.expire(key, self._idle())
                else:
                    pipe.hdel(key, self.process)
            await pipe.execute()

    async def _sweep(self):
        await super()._sweep()
        await self._write_followers(self.hub.codes())  # keeps this process's counts fresh
