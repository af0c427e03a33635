"""Connections to the review server: every request has a deadline to arrive, idle ones make room.

uvicorn's HTTP/1.1 protocol waits for a request as long as the client likes, and its
`limit_concurrency` counts connections, so ~31 connections that send nothing (or a byte every
2 s) turned every real request away with 503, without any token. Here:

- a request must arrive whole (headers and body) within `deadline_s` of the connection opening
  or of the previous answer; a connection that idles or trickles is closed when it passes;
- past `max_connections`, the oldest connection that is not being answered is closed, so new
  ones (the reviewer's browser) are always taken; there is no 503 for being busy.

A request that has arrived is never cut off: its answer is the app's. This module does not
check who is asking (`web.Guard`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True)
class ConnectionParams:
    deadline_s: float = 10.0       # a browser sends a whole request in milliseconds, even a slow one
    max_connections: int = 100     # a browser opens about six at once; the rest are not ours
    keep_alive_s: int = 5          # an idle connection after an answer (uvicorn's timeout_keep_alive)


def protocol_class(params: ConnectionParams = ConnectionParams()) -> type[H11Protocol]:
    """uvicorn's H11Protocol with these limits (pass as uvicorn.Config(http=...))."""

    class DeadlineProtocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._opened = self.loop.time()
            self._arm()
            self._make_room()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(params.deadline_s, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _waiting(self) -> bool:
            """No whole request in hand: the client is still (or not yet) sending one."""
            return self.conn.their_state is not h11.DONE

        def _expire(self) -> None:
            self._deadline = None
            if self._waiting() and not self.transport.is_closing():
                self.transport.close()

        def _make_room(self) -> None:
            if len(self.connections) <= params.max_connections:
                return
            idle = [c for c in self.connections
                    if c is not self and isinstance(c, DeadlineProtocol) and c._waiting()
                    and not c.transport.is_closing()]
            if idle:
                min(idle, key=lambda c: c._opened).transport.close()

    return DeadlineProtocol
