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

from collections import OrderedDict

from . import logs, mdp, schema
from .coordination import LEADERSHIP_PREFIX, RENEWAL_PREFIX, Bid, Leadership, LeadershipTracker, LeaseClock, Proposal, Vote
from .errors import ColonyError
from .header import ColonyHeader, Status
from .journal import ExecutionJournal

# The most description bytes a READY may carry (the broker ignores larger ones).
MAX_DESCRIPTIONS_BYTES = 65_536

# Topics the broker announces ended runs on (docs/PROTOCOL.md, "Events").
RUN_ENDED_TOPICS = {b"workflow.failed": "failed", b"workflow.cancelled": "cancelled", b"workflow.completed": "completed"}

Handler = Callable[[Any, "Context"], Awaitable[Any]]


@dataclass
class _Capability:
    name: str
    handler: Handler
    summary: Optional[str] = None
    input_schema: Optional[dict] = None

    def description(self) -> dict:
        out = {}
        if self.summary:
            out["summary"] = self.summary
        if self.input_schema:
            out["input"] = self.input_schema
        return out


@dataclass
class _EventHandler:
    prefix: str
    handler: Handler
    including_finished_runs: bool
    name: str  # AGENT.on(TOPIC), as the Swift SDK names it in logs and the journal


class _MetadataLogger(logging.LoggerAdapter):
    """A logger whose lines carry the handler's metadata, plus any `extra` of the call."""

    def process(self, msg, kwargs):
        kwargs["extra"] = {**self.extra, **kwargs.get("extra", {})}
        return msg, kwargs


class Context:
    """What a handler knows about the message it handles, and how it reaches the bus."""

    def __init__(self, agent: "Agent", header: Optional[ColonyHeader], send_partial=None, handler: Optional[str] = None):
        self._agent = agent
        self._header = header or ColonyHeader()
        self._send_partial = send_partial
        metadata = {"agent": agent.name, "capability": handler, "run_id": self.run_id, "step": self.step}
        self.logger = _MetadataLogger(agent.logger, {key: value for key, value in metadata.items() if value is not None})

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
        return self._agent._stops_work(self.run_id)

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
                 subscribe_endpoint: Optional[str] = None, heartbeat: Optional[float] = None, liveness: int = 3, grace: float = 10.0,
                 instance: Optional[str] = None, groups: Optional[list[str]] = None):
        self.name = name
        self.concurrency = max(1, int(concurrency))
        self.endpoints = mdp.endpoints(endpoint, publish_endpoint, subscribe_endpoint)
        self.heartbeat = heartbeat or mdp.heartbeat_seconds()
        self.liveness = liveness
        self.grace = grace
        self.instance = instance or os.environ.get("COLONY_AGENT_INSTANCE") or f"{name}-{_socket.gethostname()}-{os.getpid()}"
        if groups is None:
            groups = [group.strip() for group in os.environ.get("COLONY_AGENT_GROUPS", "").split(",") if group.strip()]
        self.groups = list(groups)
        self.logger = logging.getLogger(f"colony.agent.{name}")
        self._capabilities: dict[str, _Capability] = {}
        self._event_handlers: list[_EventHandler] = []
        self._run_failed_handlers: list = []
        self._leadership_handlers: list = []
        self.leadership = LeadershipTracker(self.instance)
        self._lease_clock = LeaseClock()
        self._slots = asyncio.Semaphore(self.concurrency)
        self._event_slots = asyncio.Semaphore(self.MAX_EVENT_TASKS)
        self._background_tasks: set = set()
        # Runs the agent knows have ended (run → status), bounded, oldest forgotten first.
        self._ended_runs: OrderedDict[str, str] = OrderedDict()
        # Replies of completed attempts by idempotency key, bounded; and keys running now.
        self._replies: OrderedDict[str, tuple] = OrderedDict()
        self._running: dict[str, asyncio.Future] = {}
        self.journal = ExecutionJournal.from_environment()
        self._client = None
        self._publisher = None
        self._stopping = False
        self._busy = 0
        # Handlers the gate skipped, by run status, reported to the broker (mmi.directory).
        self._skipped = {"failed": 0, "cancelled": 0}
        self._skips_to_report = False

    def connect_to(self, endpoint: str, publish_endpoint: Optional[str] = None, subscribe_endpoint: Optional[str] = None) -> "Agent":
        """Points the agent at another broker before it runs (tests do; under `colony up` the
        environment already says where the broker is)."""
        self.endpoints = mdp.endpoints(endpoint, publish_endpoint, subscribe_endpoint)
        return self

    # ----- declaring

    def capability(self, name: str, summary: Optional[str] = None, input_schema: Optional[dict] = None):
        """Declares a capability: `async def handler(params, ctx) -> result` (JSON values).

        Annotate `params` with a dataclass or a pydantic model to get it typed (a bad input then
        fails with `bad_request` naming the field) and described: its JSON Schema, or
        `input_schema` given by hand, and the one-line `summary` (default: the handler's
        docstring's first line) are announced to the broker, so `colony agent info` shows them."""
        if not name or name.startswith("mmi.") or len(name.encode()) > 255:
            raise ValueError(f"invalid capability name {name!r} (1 to 255 bytes, not mmi.*)")

        def register(handler: Handler) -> Handler:
            typed = schema.input_type(handler)
            first_line = (handler.__doc__ or "").strip().splitlines()[0:1]

            async def call(params: Any, ctx: "Context") -> Any:
                return schema.to_json(await handler(schema.decode(typed, params), ctx))
            self._declare(_Capability(name, call, summary or (first_line[0] if first_line else None),
                                      input_schema or schema.json_schema(typed)))
            return handler
        return register

    def on_vote(self, capability: str, summary: Optional[str] = None):
        """Declares a consensus voter: proposals (a consensus step's params) arrive on
        `capability` as a `Proposal`; answer with a `Vote`, a bool or "yes"/"no"."""
        def register(handler: Handler) -> Handler:
            async def call(params: Any, ctx: "Context") -> Any:
                return Vote.coerce(await handler(Proposal.from_json(params), ctx))
            self._declare(_Capability(capability, call, summary or "votes on proposals", _PROPOSAL_SCHEMA))
            return handler
        return register

    def on_bid(self, capability: str, summary: Optional[str] = None):
        """Declares a bidder for contract-net auctions: calls for proposals for `capability`
        arrive on `CAPABILITY.bid` as a `Proposal`; answer with a `Bid`, a cost, or None (a
        refusal). The task itself comes to `capability` if the bid wins: declare it too."""
        def register(handler: Handler) -> Handler:
            async def call(params: Any, ctx: "Context") -> Any:
                return Bid.coerce(await handler(Proposal.from_json(params), ctx))
            self._declare(_Capability(capability + ".bid", call, summary or f"bids for {capability}", _PROPOSAL_SCHEMA))
            return handler
        return register

    def on_leadership(self, handler):
        """`async def handler(change: LeadershipChange)`: called when this agent becomes leader of
        one of its groups, loses it, or learns who leads (announced by the orchestrator)."""
        self._leadership_handlers.append(handler)
        return handler

    def _declare(self, capability: _Capability) -> None:
        self._capabilities[capability.name] = capability

    def descriptions(self) -> Optional[str]:
        """The READY's capability descriptions (JSON), None when there are none or they are too
        large to announce (the broker would ignore them)."""
        described = {name: c.description() for name, c in self._capabilities.items() if c.description()}
        if not described:
            return None
        text = json.dumps(described, separators=(",", ":"), sort_keys=True)
        if len(text.encode()) > MAX_DESCRIPTIONS_BYTES:
            self.logger.warning(f"capability descriptions are {len(text.encode())} bytes, over {MAX_DESCRIPTIONS_BYTES}: not announced")
            return None
        return text

    def on(self, topic: str, including_finished_runs: bool = False):
        """Declares an event handler for topics starting with `topic` (`market.*` and `market.`
        alike): `async def handler(event, ctx)`. Events of ended runs are skipped (of completed
        ones too, unless `including_finished_runs`)."""
        prefix = mdp.subscription_prefix(topic).decode()

        def register(handler: Handler) -> Handler:
            self._event_handlers.append(_EventHandler(prefix, handler, including_finished_runs, f"{self.name}.on({topic})"))
            return handler
        return register

    def on_run_failed(self, handler):
        """`async def handler(run_id, status, reason)`: called once for each run this agent learns
        has failed or been cancelled."""
        self._run_failed_handlers.append(handler)
        return handler

    # ----- the failure gate

    MAX_ENDED_RUNS = 100_000
    MAX_REPLIES = 10_000

    def _stops_work(self, run: Optional[str]) -> bool:
        return run is not None and self._ended_runs.get(run) in ("failed", "cancelled")

    def _learn(self, run: str, status: str, reason: str = "") -> None:
        if run in self._ended_runs:
            return
        self._ended_runs[run] = status
        while len(self._ended_runs) > self.MAX_ENDED_RUNS:
            self._ended_runs.popitem(last=False)
        if self.journal:
            self.journal.record("learned", self.name, "gate", run=run, detail=status)
        if status in ("failed", "cancelled"):
            self.logger.debug(f"run {status}; its handlers will be skipped", extra={"run_id": run, "reason": reason})
            for handler in self._run_failed_handlers:
                self._track(handler(run, status, reason))

    def _gate_stops(self, handler: str, header: Optional[ColonyHeader], is_event: bool = False, including_finished: bool = False) -> Optional[str]:
        """The status that stops `handler` for the message's run, if any; logs, journals and
        reports the skip."""
        run = header.correlation_id if header else None
        status = self._ended_runs.get(run) if run else None
        if status is None or (status == "completed" and (not is_event or including_finished)):
            return None
        self.logger.info(f"skipping handler: run {status}", extra={"handler": handler, "run_id": run})
        if status in self._skipped:
            self._skipped[status] += 1
            self._skips_to_report = True
        if self.journal:
            self.journal.record("skipped", self.name, handler, run=run, step=header.step, key=header.idempotency_key, detail=f"run {status}")
        report = {"run": run, "agent": self.name, "handler": handler, "status": status, "reason": f"run {status}",
                  "atMilliseconds": int(time.time() * 1000)}
        asyncio.ensure_future(self._publish("workflow.skipped", report))
        return status

    async def _catch_up_on_ended_runs(self) -> None:
        """Asks the broker which runs ended while this agent was not listening."""
        try:
            runs = await self._management("mmi.gate.list")
            for ended in runs or []:
                self._learn(ended["run"], ended.get("status", "failed"), ended.get("reason", ""))
        except Exception as error:  # the broker may be restarting: the next connection asks again
            self.logger.warning(f"cannot catch up on ended runs: {error}")

    async def _management(self, service: str, argument: Optional[str] = None):
        from .client import Client
        if self._client is None:
            self._client = Client(self.endpoints[0])
        return await self._client.request_raw(service, argument, timeout=5)

    # ----- running

    def run(self) -> None:
        """Serves until SIGTERM or SIGINT, then shuts down gracefully. Logs go to standard error
        one event per line (see `colony.logs`) unless the program configured logging itself."""
        logs.configure()
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
        events = asyncio.ensure_future(self._events())
        try:
            while not self._stopping:
                await self._session()
        finally:
            events.cancel()
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
                              process_id=os.getpid(), instance=self.instance, groups=self.groups, descriptions=self.descriptions())
        names = list(self._capabilities)
        await self._send([b"", mdp.WORKER, mdp.W_READY, names[0].encode(), header.encode()])
        asyncio.ensure_future(self._catch_up_on_ended_runs())
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
                beat = [b"", mdp.WORKER, mdp.W_HEARTBEAT]
                if self._skips_to_report:
                    counts = ColonyHeader()
                    self._add_skip_counts(counts)
                    beat.append(counts.encode())
                await self._send(beat)
        finally:
            worker.close(linger=1000 if self._stopping else 0)

    async def _drain(self, tasks: set) -> None:
        """Capacity 0 (nothing new), let in-flight work (event handlers and callbacks too) finish
        within the grace, then DISCONNECT."""
        await self._send([b"", mdp.WORKER, mdp.W_HEARTBEAT, ColonyHeader(capacity=0).encode()])
        running = tasks | self._background_tasks
        if running:
            await asyncio.wait(running, timeout=self.grace)
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
        name = header.capability if header and header.capability else None
        capability = self._capabilities.get(name) if name else next(iter(self._capabilities.values()))

        async def reply(command: bytes, error: Optional[ColonyError], payload: bytes) -> None:
            await self._send([b"", mdp.WORKER, command, token, b"", self._reply_header(header, error).encode(), payload])

        async def answer(outcome: tuple) -> None:
            failed, payload, code, message = outcome
            await reply(mdp.W_FINAL, ColonyError(code, message) if failed else None, payload)

        async def partial(value: Any) -> None:
            await reply(mdp.W_PARTIAL, None, json.dumps(value).encode())

        if capability is None:
            error = ColonyError("unknown_capability", f"{self.name} does not offer {name}")
            await reply(mdp.W_FINAL, error, _error_body(error))
            return
        run = header.correlation_id if header else None
        step = header.step if header else None
        key = header.idempotency_key if header else None
        journal = self.journal
        fenced = self._fence(header)
        if fenced is not None:
            self.logger.info(f"refusing a request of a stale term: {fenced.message}", extra={"capability": capability.name, "run_id": run})
            await reply(mdp.W_FINAL, fenced, _error_body(fenced))
            return
        # The failure gate: no handler starts for a run that failed or was cancelled.
        stopped = self._gate_stops(capability.name, header)
        if stopped:
            error = ColonyError("workflow_failed", f"run {run} {stopped}")
            await reply(mdp.W_FINAL, error, _error_body(error))
            return
        # One execution per attempt: a repeated key is answered from the cache, or waits for the
        # delivery still running.
        if key is not None:
            if key in self._replies:
                if journal:
                    journal.record("replayed", self.name, capability.name, run=run, step=step, key=key)
                await answer(self._replies[key])
                return
            if key in self._running:
                await answer(await asyncio.shield(self._running[key]))
                return
            self._running[key] = asyncio.get_running_loop().create_future()
        self._busy += 1
        lost = header.redelivered_after_loss_of if header else None
        if lost:
            # The agent that had this attempt was lost; it may have run it: at least once.
            self.logger.info("running an attempt again after its agent was lost", extra={"lost_instance": lost, "key": key})
            if journal:
                journal.record("reexecuted", self.name, capability.name, run=run, step=step, key=key, detail=f"after the loss of {lost}")
        if journal:
            journal.record("started", self.name, capability.name, run=run, step=step, key=key)
        outcome: tuple
        try:
            raw = b"".join(body)
            try:
                params = json.loads(raw) if raw else None
            except ValueError:
                raise ColonyError("bad_request", "the body is not JSON") from None
            async with self._slots:  # never more than `concurrency` handlers at once
                result = await capability.handler(params, Context(self, header, partial, capability.name))
            if self._stops_work(run):
                # The run failed while the handler ran: its result is not passed off as a success.
                if journal:
                    journal.record("discarded", self.name, capability.name, run=run, step=step, key=key)
                error = ColonyError("workflow_failed", f"run {run} failed while the handler ran")
                outcome = (True, _error_body(error), error.code, error.message)
            else:
                if journal:
                    journal.record("succeeded", self.name, capability.name, run=run, step=step, key=key)
                outcome = (False, json.dumps(result).encode(), None, None)
        except ColonyError as error:
            if journal:
                journal.record("failed", self.name, capability.name, run=run, step=step, key=key, detail=error.code)
            outcome = (True, _error_body(error), error.code, error.message)
        except Exception as error:  # a handler bug is the caller's error too, coded handler_failed
            self.logger.exception("handler failed", extra={"agent": self.name, "capability": capability.name})
            if journal:
                journal.record("failed", self.name, capability.name, run=run, step=step, key=key, detail="handler_failed")
            failure = ColonyError("handler_failed", f"{type(error).__name__}: {error}")
            outcome = (True, _error_body(failure), failure.code, failure.message)
        finally:
            self._busy -= 1
        if key is not None:
            self._replies[key] = outcome
            while len(self._replies) > self.MAX_REPLIES:
                self._replies.popitem(last=False)
            waiting = self._running.pop(key, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(outcome)
        await answer(outcome)

    async def _events(self) -> None:
        """Receives events: ended-run notices (confirmed with the broker before they are believed:
        anyone may publish one) and the topics of the event handlers."""
        subscriber = self._context.socket(zmq.SUB)
        subscriber.setsockopt(zmq.LINGER, 0)
        mdp.secure(subscriber)
        for topic in RUN_ENDED_TOPICS:
            subscriber.setsockopt(zmq.SUBSCRIBE, topic)
        for handler in self._event_handlers:
            subscriber.setsockopt(zmq.SUBSCRIBE, handler.prefix.encode())
        subscriber.setsockopt(zmq.SUBSCRIBE, LEADERSHIP_PREFIX.encode())
        subscriber.setsockopt(zmq.SUBSCRIBE, RENEWAL_PREFIX.encode())
        subscriber.connect(self.endpoints[2])
        try:
            while True:
                frames = await subscriber.recv_multipart()
                if len(frames) < 2:
                    continue
                topic = frames[0]
                try:
                    header = ColonyHeader.decode(frames[1]) if ColonyHeader.is_header(frames[1]) else None
                except ValueError as error:
                    self.logger.warning(f"ignoring an event with a malformed header: {error}")
                    continue
                payload = frames[2] if header is not None and len(frames) > 2 else frames[1]
                if topic in RUN_ENDED_TOPICS:
                    await self._background(self._confirm_ended(payload))
                if topic.startswith(LEADERSHIP_PREFIX.encode()) or topic.startswith(RENEWAL_PREFIX.encode()):
                    try:
                        self._note_leadership(Leadership.from_json(json.loads(payload)), header.timestamp_ms if header else None)
                    except (ValueError, KeyError, TypeError) as error:
                        self.logger.warning(f"ignoring a malformed leadership announcement: {error}")
                for handler in self._event_handlers:
                    if topic.decode("utf-8", "replace").startswith(handler.prefix) and not self._stopping:
                        await self._background(self._serve_event(handler, topic.decode("utf-8", "replace"), header, payload))
        except asyncio.CancelledError:
            pass
        finally:
            subscriber.close(linger=0)

    # At most this many event handlers and confirmations run at once; past it the agent stops
    # reading events, so they wait in the socket (then the broker drops and counts them).
    MAX_EVENT_TASKS = 1_000

    async def _background(self, work) -> None:
        """Starts `work` once fewer than MAX_EVENT_TASKS run (waiting, not queueing, otherwise)."""
        await self._event_slots.acquire()
        self._track(work).add_done_callback(lambda _: self._event_slots.release())

    def _track(self, work) -> asyncio.Task:
        """Runs an event handler or callback as a task that a graceful stop waits for."""
        task = asyncio.ensure_future(work)
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)
        return task

    async def _confirm_ended(self, payload: bytes) -> None:
        try:
            announced = json.loads(payload)
            confirmed = await self._management("mmi.gate.check", announced["run"])
        except Exception as error:
            self.logger.warning(f"cannot confirm an ended-run event: {error}")
            return
        if confirmed:
            self._learn(confirmed["run"], confirmed.get("status", "failed"), confirmed.get("reason", ""))

    async def _serve_event(self, handler: _EventHandler, topic: str, header: Optional[ColonyHeader], payload: bytes) -> None:
        name = handler.name
        if self._gate_stops(name, header, is_event=True, including_finished=handler.including_finished_runs):
            return
        try:
            event = json.loads(payload) if payload else None
        except ValueError:
            event = payload.decode("utf-8", "replace")
        run, step = (header.correlation_id, header.step) if header else (None, None)
        journal = self.journal
        if journal:
            journal.record("started", self.name, name, run=run, step=step)
        try:
            await handler.handler(event, Context(self, header, handler=name))
        except Exception as error:
            self.logger.exception("event handler failed", extra={"agent": self.name, "topic": topic})
            if journal:
                journal.record("failed", self.name, name, run=run, step=step, detail=f"{type(error).__name__}: {error}")
            return
        if journal:
            journal.record("discarded" if self._stops_work(run) else "succeeded", self.name, name, run=run, step=step)

    # ----- leadership

    def _fence(self, header: Optional[ColonyHeader]) -> Optional[ColonyError]:
        """A leader-follower request is refused (`stale_term`) when it was sent under a term older
        than the newest this agent knows, or when its lease has certainly lapsed by the agent's
        reading of the orchestrator's clock; a newer term teaches the agent that it leads."""
        if header is None or header.term is None or not header.groups:
            return None
        group, term = header.groups[0], header.term
        if header.timestamp_ms is not None:
            self._lease_clock.note(header.timestamp_ms)
        known = self.leadership.latest.get(group)
        if self.leadership.is_stale(term, group):
            return ColonyError("stale_term", f"term {term} of group {group} is stale: term {known.term} is led by {known.leader or 'nobody'}")
        if header.lease_expires_at_ms is not None:
            renewed = known.expires_at_ms if known is not None and known.term == term else 0
            lapsed = self._lease_clock.lapsed(max(header.lease_expires_at_ms, renewed))
            if lapsed is not None:
                return ColonyError("stale_term", f"the lease of term {term} of group {group} ended at least {lapsed} ms ago")
        if known is None or term > known.term:
            self._note_leadership(Leadership(group, self.instance, term))
        return None

    def _note_leadership(self, announced: Leadership, sent_at_ms: Optional[int] = None) -> None:
        if sent_at_ms is not None:
            self._lease_clock.note(sent_at_ms)
        change = self.leadership.note(announced)
        if change is None:
            return
        if change.kind == "became":
            self.logger.info("became leader", extra={"group": change.group, "term": change.term})
        elif change.kind == "lost":
            self.logger.info("lost leadership", extra={"group": change.group, "term": change.term, "leader": change.leader})
        for handler in self._leadership_handlers:
            self._track(handler(change))

    def _reply_header(self, request: Optional[ColonyHeader], error: Optional[ColonyError]) -> ColonyHeader:
        """A reply's header: the request id and redelivery mark echoed, ok or the error, and the
        gate's skip counts when they changed since the broker last heard them."""
        header = ColonyHeader(request_id=request.request_id if request else None, status=Status.ERROR if error else Status.OK,
                              agent=self.name, instance=self.instance,
                              redelivered_after_loss_of=request.redelivered_after_loss_of if request else None)
        if error is not None:
            header.error_code, header.error_message = error.code, error.message
        self._add_skip_counts(header)
        return header

    def _add_skip_counts(self, header: ColonyHeader) -> None:
        if self._skips_to_report:
            header.skipped_failed, header.skipped_cancelled = self._skipped["failed"], self._skipped["cancelled"]
            self._skips_to_report = False

    async def _publish(self, topic: str, value: Any, correlation_id=None, step=None) -> None:
        if self._publisher is None:
            self._publisher = await mdp.connected_publisher(self._context, self.endpoints[1])
        header = ColonyHeader(correlation_id=correlation_id, step=step, agent=self.name, timestamp_ms=int(time.time() * 1000))
        await self._publisher.send_multipart([topic.encode(), header.encode(), json.dumps(value).encode()])


# Voters and bidders take a Proposal: the round, the group and the step's params.
_PROPOSAL_SCHEMA = {"type": "object", "properties": {"round": {"type": "string"}, "group": {"type": "string"}, "proposal": {}},
                    "required": ["proposal"]}


def _error_body(error: ColonyError) -> bytes:
    return json.dumps({"error": {"code": error.code, "message": error.message}}).encode()
