"""A Colony agent in Python: capabilities and event handlers served over the broker.

    agent = Agent("pricing", concurrency=8)
    @agent.capability("pricing.quote")
    async def quote(params: dict, ctx) -> dict: ...
    agent.run()

It speaks MDP/0.2 with the Colony header (docs/PROTOCOL.md): READY announces its capabilities,
capacity, instance and name; every REQUEST carries the run's metadata, which the handler's
`ctx` exposes and which requests and events made through `ctx` inherit; replies say ok or an
error code. Heartbeats both ways; a silent broker is reconnected to; SIGTERM/SIGINT stop it
gracefully (capacity 0, in-flight work finishes within the grace period, then DISCONNECT).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket as _socket
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

import zmq
import zmq.asyncio

from . import mdp
from .errors import ColonyError
from .header import ColonyHeader, Status

Handler = Callable[[Any, "Context"], Awaitable[Any]]


@dataclass
class _Capability:
    name: str
    handler: Handler


class Context:
    """What a handler knows about the message it handles, and how it reaches the bus."""

    def __init__(self, agent: "Agent", header: Optional[ColonyHeader], send_partial=None):
        self._agent = agent
        self._header = header or ColonyHeader()
        self._send_partial = send_partial
        self.logger = logging.LoggerAdapter(agent.logger, {"agent": agent.name, "run_id": self.run_id})

    @property
    def run_id(self) -> Optional[str]:
        return self._header.correlation_id

    @property
    def step(self) -> Optional[str]:
        return self._header.step

    @property
    def attempt(self) -> Optional[int]:
        return self._header.attempt

    @property
    def idempotency_key(self) -> Optional[str]:
        return self._header.idempotency_key

    @property
    def instance(self) -> str:
        return self._agent.instance

    def run_has_failed(self) -> bool:
        """Whether the run this work belongs to has failed or been cancelled (the failure gate)."""
        return self.run_id is not None and self.run_id in self._agent._ended_runs

    async def send_partial(self, value: Any) -> None:
        """Sends a partial reply (MDP/0.2 PARTIAL) before the final one."""
        if self._send_partial is None:
            raise ColonyError("bad_request", "partial replies belong to requests, not events")
        await self._send_partial(value)

    async def publish(self, topic: str, value: Any) -> None:
        """Publishes an event that carries this run along."""
        await self._agent._publish(topic, value, correlation_id=self.run_id, step=self.step)

    async def request(self, capability: str, params: Any = None, timeout: float = 30.0) -> Any:
        """Asks another capability, as part of this run."""
        from .client import Client
        if self._agent._client is None:
            self._agent._client = Client(self._agent.endpoints[0])
        return await self._agent._client.request(capability, params, timeout=timeout, correlation_id=self.run_id)


class Agent:
    def __init__(self, name: str, concurrency: int = 1, endpoint: Optional[str] = None, publish_endpoint: Optional[str] = None,
                 subscribe_endpoint: Optional[str] = None, heartbeat: float = 2.5, liveness: int = 3, grace: float = 10.0,
                 instance: Optional[str] = None):
        self.name = name
        self.concurrency = max(1, int(concurrency))
        self.endpoints = mdp.endpoints(endpoint, publish_endpoint, subscribe_endpoint)
        self.heartbeat = heartbeat
        self.liveness = liveness
        self.grace = grace
        self.instance = instance or os.environ.get("COLONY_AGENT_INSTANCE") or f"{name}-{_socket.gethostname()}-{os.getpid()}"
        self.logger = logging.getLogger(f"colony.agent.{name}")
        self._capabilities: dict[str, _Capability] = {}
        self._ended_runs: set[str] = set()
        self._client = None
        self._publisher = None
        self._stopping = False
        self._busy = 0

    # ----- declaring

    def capability(self, name: str):
        """Declares a capability: `async def handler(params, ctx) -> result` (JSON values)."""
        if not name or name.startswith("mmi."):
            raise ValueError(f"invalid capability name {name!r}")

        def register(handler: Handler) -> Handler:
            self._capabilities[name] = _Capability(name, handler)
            return handler
        return register

    # ----- running

    def run(self) -> None:
        """Serves until SIGTERM or SIGINT, then shuts down gracefully."""
        asyncio.run(self.serve(handle_signals=True))

    async def serve(self, handle_signals: bool = False) -> None:
        """Serves until `stop()` (or a signal, with `handle_signals`)."""
        if not self._capabilities:
            raise ValueError("declare at least one capability before running")
        loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        if handle_signals:
            for number in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(number, self.stop)
        self._context = zmq.asyncio.Context.instance()
        try:
            while not self._stopping:
                await self._session()
        finally:
            if self._publisher is not None:
                self._publisher.close(linger=200)
            if self._client is not None:
                self._client.close()

    def stop(self) -> None:
        """Stops taking work; what runs finishes (within `grace`), then the agent leaves."""
        self._stopping = True
        self._stop_event.set()

    async def _session(self) -> None:
        """One connection to the broker, until it goes silent (reconnect) or the agent stops."""
        worker = self._context.socket(zmq.DEALER)
        worker.setsockopt(zmq.LINGER, 1000)
        mdp.secure(worker)
        worker.connect(self.endpoints[0])
        self._worker = worker
        self._send_lock = asyncio.Lock()
        header = ColonyHeader(agent=self.name, capabilities=list(self._capabilities)[1:], capacity=self.concurrency,
                              process_id=os.getpid(), instance=self.instance)
        names = list(self._capabilities)
        await self._send([b"", mdp.WORKER, mdp.W_READY, names[0].encode(), header.encode()])
        self.logger.info("agent ready", extra={"agent": self.name, "capabilities": ",".join(names), "broker": self.endpoints[0]})
        heard = time.monotonic()
        tasks: set[asyncio.Task] = set()
        try:
            while True:
                if self._stop_event.is_set():
                    await self._drain(tasks)
                    return
                if await worker.poll(int(self.heartbeat * 500)):
                    frames = await worker.recv_multipart()
                    heard = time.monotonic()
                    if len(frames) < 3 or frames[1] != mdp.WORKER:
                        continue
                    command = frames[2]
                    if command == mdp.W_REQUEST and len(frames) >= 5:
                        task = asyncio.ensure_future(self._serve_request(frames[3], frames[5:]))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    elif command == mdp.W_DISCONNECT:
                        self.logger.warning("broker sent DISCONNECT; reconnecting")
                        return
                elif time.monotonic() - heard > self.heartbeat * self.liveness:
                    self.logger.warning("broker silent; reconnecting")
                    return
                await self._send([b"", mdp.WORKER, mdp.W_HEARTBEAT])
        finally:
            worker.close(linger=1000 if self._stopping else 0)

    async def _drain(self, tasks: set) -> None:
        """Capacity 0 (nothing new), let in-flight work finish within the grace, then DISCONNECT."""
        await self._send([b"", mdp.WORKER, mdp.W_HEARTBEAT, ColonyHeader(capacity=0).encode()])
        if tasks:
            await asyncio.wait(tasks, timeout=self.grace)
        await self._send([b"", mdp.WORKER, mdp.W_DISCONNECT])
        self.logger.info("agent stopped", extra={"agent": self.name})

    async def _send(self, frames: list) -> None:
        async with self._send_lock:
            await self._worker.send_multipart(frames)

    async def _serve_request(self, token: bytes, body: list) -> None:
        header = None
        if body and ColonyHeader.is_header(body[0]):
            try:
                header = ColonyHeader.decode(body[0])
            except ValueError:
                header = None
            body = body[1:]
        request_id = header.request_id if header else None
        name = header.capability if header and header.capability else None
        capability = self._capabilities.get(name) if name else next(iter(self._capabilities.values()))

        async def reply(command: bytes, reply_header: ColonyHeader, payload: bytes) -> None:
            await self._send([b"", mdp.WORKER, command, token, b"", reply_header.encode(), payload])

        async def partial(value: Any) -> None:
            await reply(mdp.W_PARTIAL, ColonyHeader(request_id=request_id, status=Status.OK, agent=self.name, instance=self.instance),
                        json.dumps(value).encode())

        if capability is None:
            error = ColonyError("unknown_capability", f"{self.name} does not offer {name}")
            await reply(mdp.W_FINAL, self._error_header(request_id, error), _error_body(error))
            return
        self._busy += 1
        try:
            raw = b"".join(body)
            try:
                params = json.loads(raw) if raw else None
            except ValueError:
                raise ColonyError("bad_request", "the body is not JSON") from None
            result = await capability.handler(params, Context(self, header, partial))
            await reply(mdp.W_FINAL, ColonyHeader(request_id=request_id, status=Status.OK, agent=self.name, instance=self.instance),
                        json.dumps(result).encode())
        except ColonyError as error:
            await reply(mdp.W_FINAL, self._error_header(request_id, error), _error_body(error))
        except Exception as error:  # a handler bug is the caller's error too, coded handler_failed
            self.logger.exception("handler failed", extra={"agent": self.name, "capability": capability.name})
            failure = ColonyError("handler_failed", f"{type(error).__name__}: {error}")
            await reply(mdp.W_FINAL, self._error_header(request_id, failure), _error_body(failure))
        finally:
            self._busy -= 1

    def _error_header(self, request_id, error: ColonyError) -> ColonyHeader:
        return ColonyHeader(request_id=request_id, status=Status.ERROR, error_code=error.code, error_message=error.message,
                            agent=self.name, instance=self.instance)

    async def _publish(self, topic: str, value: Any, correlation_id=None, step=None) -> None:
        if self._publisher is None:
            self._publisher = self._context.socket(zmq.PUB)
            mdp.secure(self._publisher)
            self._publisher.connect(self.endpoints[1])
            await asyncio.sleep(0.1)  # a PUB socket drops what it sends before it is connected
        header = ColonyHeader(correlation_id=correlation_id, step=step, agent=self.name, timestamp_ms=int(time.time() * 1000))
        await self._publisher.send_multipart([topic.encode(), header.encode(), json.dumps(value).encode()])


def _error_body(error: ColonyError) -> bytes:
    return json.dumps({"error": {"code": error.code, "message": error.message}}).encode()
