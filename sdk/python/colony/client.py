"""A client of the Colony bus for scripts: requests, with typed errors."""
from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Optional

import zmq
import zmq.asyncio

from . import mdp
from .errors import ColonyError, TimeoutError, from_reply
from .header import ColonyHeader, Status


class Client:
    """`await client.request("math.add", {"a": 1, "b": 2}, timeout=5)` returns the decoded
    answer or raises a `ColonyError` (NoAgentError, TimeoutError, or the agent's code)."""

    def __init__(self, endpoint: Optional[str] = None):
        self.endpoint = mdp.endpoints(endpoint)[0]
        self._socket = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._reader = None

    def _connected(self):
        if self._socket is None:
            self._socket = zmq.asyncio.Context.instance().socket(zmq.DEALER)
            self._socket.setsockopt(zmq.LINGER, 0)
            mdp.secure(self._socket)
            self._socket.connect(self.endpoint)
            self._reader = asyncio.ensure_future(self._read())
        return self._socket

    async def request(self, capability: str, params: Any = None, timeout: float = 30.0, correlation_id: Optional[str] = None) -> Any:
        socket = self._connected()
        request_id = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = answer
        import time
        header = ColonyHeader(request_id=request_id, correlation_id=correlation_id, deadline_ms=int((time.time() + timeout) * 1000))
        await socket.send_multipart([mdp.CLIENT, mdp.REQUEST, capability.encode(), header.encode(), json.dumps(params).encode()])
        try:
            return await asyncio.wait_for(answer, timeout + 1)
        except asyncio.TimeoutError:
            raise TimeoutError("timeout", f"no answer from {capability} in {timeout} s") from None
        finally:
            self._waiting.pop(request_id, None)

    async def _read(self) -> None:
        while True:
            frames = await self._socket.recv_multipart()
            if len(frames) < 4 or frames[0] != mdp.CLIENT or frames[1] != mdp.FINAL or not ColonyHeader.is_header(frames[3]):
                continue  # partial replies and dispatch notices are not waited for here
            header = ColonyHeader.decode(frames[3])
            waiting = self._waiting.get(header.request_id)
            if waiting is None or waiting.done():
                continue
            body = b"".join(frames[4:])
            if header.status == Status.ERROR:
                waiting.set_exception(from_reply(header.error_code or "error", header.error_message or ""))
            else:
                try:
                    waiting.set_result(json.loads(body) if body else None)
                except ValueError:
                    waiting.set_result(body.decode("utf-8", "replace"))

    def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
