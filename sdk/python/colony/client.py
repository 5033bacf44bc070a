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

    def __init__(self, endpoint: Optional[str] = None, publish_endpoint: Optional[str] = None, subscribe_endpoint: Optional[str] = None):
        self.endpoint = mdp.endpoints(endpoint)[0]
        self._publish_endpoint = publish_endpoint
        self._subscribe_endpoint = subscribe_endpoint
        self._publisher = None
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

    async def request(self, capability: str, params: Any = None, timeout: float = 30.0, correlation_id: Optional[str] = None,
                      idempotency_key: Optional[str] = None) -> Any:
        socket = self._connected()
        request_id = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = answer
        import time
        header = ColonyHeader(request_id=request_id, correlation_id=correlation_id, idempotency_key=idempotency_key,
                              deadline_ms=int((time.time() + timeout) * 1000))
        await socket.send_multipart([mdp.CLIENT, mdp.REQUEST, capability.encode(), header.encode(), json.dumps(params).encode()])
        try:
            return await asyncio.wait_for(answer, timeout + 1)
        except asyncio.TimeoutError:
            raise TimeoutError("timeout", f"no answer from {capability} in {timeout} s") from None
        finally:
            self._waiting.pop(request_id, None)

    async def request_raw(self, service: str, argument: Optional[str] = None, timeout: float = 5.0) -> Any:
        """A management request (`mmi.*`): the argument as text, the answer decoded as JSON."""
        socket = self._connected()
        request_id = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = answer
        header = ColonyHeader(request_id=request_id)
        frames = [mdp.CLIENT, mdp.REQUEST, service.encode(), header.encode()]
        if argument is not None:
            frames.append(argument.encode())
        await socket.send_multipart(frames)
        try:
            return await asyncio.wait_for(answer, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError("timeout", f"no answer from {service} in {timeout} s") from None
        finally:
            self._waiting.pop(request_id, None)

    async def publish(self, topic: str, value: Any, correlation_id: Optional[str] = None) -> None:
        """Publishes an event, as part of run `correlation_id` if given (connecting first, so it
        is not lost while connecting)."""
        if getattr(self, "_publisher", None) is None:
            self._publisher = await mdp.connected_publisher(
                zmq.asyncio.Context.instance(), mdp.endpoints(self.endpoint)[1] if self._publish_endpoint is None else self._publish_endpoint)
        import time
        header = ColonyHeader(correlation_id=correlation_id, agent="python-client", timestamp_ms=int(time.time() * 1000))
        await self._publisher.send_multipart([topic.encode(), header.encode(), json.dumps(value).encode()])

    async def subscribe(self, prefix: str = ""):
        """Yields events (topic, value, header) whose topic starts with `prefix`."""
        topic = mdp.subscription_prefix(prefix)
        subscriber = zmq.asyncio.Context.instance().socket(zmq.SUB)
        subscriber.setsockopt(zmq.LINGER, 0)
        mdp.secure(subscriber)
        subscriber.setsockopt(zmq.SUBSCRIBE, topic)
        subscriber.connect(mdp.endpoints(self.endpoint)[2] if self._subscribe_endpoint is None else self._subscribe_endpoint)
        try:
            while True:
                frames = await subscriber.recv_multipart()
                header = ColonyHeader.decode(frames[1]) if len(frames) > 2 and ColonyHeader.is_header(frames[1]) else None
                payload = frames[-1]
                try:
                    value = json.loads(payload)
                except ValueError:
                    value = payload.decode("utf-8", "replace")
                yield frames[0].decode("utf-8", "replace"), value, header
        finally:
            subscriber.close(linger=0)

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
        if self._publisher is not None:
            self._publisher.close(linger=200)
            self._publisher = None
        if self._reader is not None:
            self._reader.cancel()
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
