"""How `stride serve` runs uvicorn: worker processes, and the timeouts that keep slow clients from holding
connections open.

uvicorn closes idle keep-alive connections (timeout_keep_alive) and bounds the size of a request head
(h11_max_incomplete_event_size), but it waits for a request head forever: 100 clients sending their headers a
byte at a time would hold 100 connections. TimedH11Protocol gives every request head `header_timeout` seconds,
counted from the connection's start or the previous response's end. Request bodies are bounded in time by
app.web.security.BodyLimit (its read and idle timeouts).
"""

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

from app.settings import Settings, get_settings

HEAD_LIMIT_BYTES = 16 * 1024  # request line and headers together


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head takes longer than header_timeout."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._waiting_cycle = None

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._waiting_cycle = self.cycle
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.cycle is self._waiting_cycle and not self.transport.is_closing():
            self.logger.info("Closed a connection whose request head took over %.0f s.", self.header_timeout)
            self.transport.close()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm_head_timer()

    def handle_events(self) -> None:
        super().handle_events()
        if self._head_timer is not None and self.cycle is not self._waiting_cycle:
            self._disarm_head_timer()  # a request head has arrived

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()  # the next request on this keep-alive connection

    def connection_lost(self, exc) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)


def uvicorn_options(settings: Settings) -> dict:
    """The keyword arguments of uvicorn.run that bound slow clients (see the module's docstring)."""
    return {
        "http": TimedH11Protocol,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "h11_max_incomplete_event_size": HEAD_LIMIT_BYTES,
        "timeout_graceful_shutdown": 10,
    }
