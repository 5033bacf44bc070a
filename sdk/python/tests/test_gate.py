"""The Python agent's failure gate, idempotency cache, event handlers and journal, against a
real broker: the same behaviour and journal lines as the Swift SDK's."""
import asyncio
import json

from colony import Agent, Client
from conftest import serving
from test_agent import until_offered


def test_events_reach_handlers_and_a_repeated_attempt_runs_once(broker, tmp_path, monkeypatch):
    journal = tmp_path / "journal.jsonl"
    monkeypatch.setenv("COLONY_EXECUTION_JOURNAL", str(journal))

    async def scenario():
        agent = Agent("worker", concurrency=4, endpoint=broker["requests"], publish_endpoint=broker["publish"],
                      subscribe_endpoint=broker["subscribe"], heartbeat=0.2)
        runs = []
        ticks = []

        @agent.capability("work.do")
        async def do(params, ctx):
            runs.append(ctx.idempotency_key)
            return {"done": params}

        @agent.on("market.")
        async def tick(event, ctx):
            ticks.append((event, ctx.run_id))

        async with serving(agent, Client(broker["requests"], publish_endpoint=broker["publish"], subscribe_endpoint=broker["subscribe"])) as client:
            await until_offered(client, "work.do")
            first = await client.request("work.do", 1, correlation_id="r-1", idempotency_key="r-1/a/1")
            again = await client.request("work.do", 1, correlation_id="r-1", idempotency_key="r-1/a/1")
            assert first == again == {"done": 1}
            assert runs.count("r-1/a/1") == 1, "the repeated delivery was answered from the cache"

            for _ in range(100):
                await client.publish("market.tick", {"price": 1})
                await asyncio.sleep(0.02)
                if ticks:
                    break
            assert ticks and ticks[0][0] == {"price": 1}

    asyncio.run(scenario())
    events = [json.loads(line)["event"] for line in journal.read_text().splitlines() if '"r-1/a/1"' in line]
    assert events == ["started", "succeeded", "replayed"], events


def test_the_gate_skips_handlers_of_a_failed_run_and_says_so(broker, tmp_path, monkeypatch):
    journal = tmp_path / "journal.jsonl"
    monkeypatch.setenv("COLONY_EXECUTION_JOURNAL", str(journal))

    async def scenario():
        agent = Agent("listener", endpoint=broker["requests"], publish_endpoint=broker["publish"],
                      subscribe_endpoint=broker["subscribe"], heartbeat=0.2)
        handled = []
        failures = []

        @agent.capability("listen.ping")
        async def ping(params, ctx):
            return "pong"

        @agent.on("orders.")
        async def order(event, ctx):
            handled.append(ctx.run_id)

        @agent.on_run_failed
        async def failed(run, status, reason):
            failures.append((run, status))

        async with serving(agent, Client(broker["requests"], publish_endpoint=broker["publish"], subscribe_endpoint=broker["subscribe"])) as client:
            await until_offered(client, "listen.ping")
            # Only the broker's word counts (the orchestrator tells it; the bus here is unsecured).
            answer = await client.request_raw("mmi.gate.fail", json.dumps({"run": "r-9", "status": "failed", "reason": "declined", "atMilliseconds": 0}))
            assert "error" not in (answer or {}), answer
            for _ in range(200):
                if failures:
                    break
                await asyncio.sleep(0.02)
            assert failures == [("r-9", "failed")]

            # An event of the failed run is skipped; one of a live run is handled.
            import time
            from colony.header import ColonyHeader
            import zmq, zmq.asyncio
            publisher = zmq.asyncio.Context.instance().socket(zmq.PUB)
            publisher.connect(broker["publish"])
            await asyncio.sleep(0.2)
            for run in ("r-9", "r-10"):
                header = ColonyHeader(correlation_id=run, timestamp_ms=int(time.time() * 1000))
                await publisher.send_multipart([b"orders.new", header.encode(), b"{}"])
            for _ in range(200):
                if handled:
                    break
                await asyncio.sleep(0.02)
            publisher.close(linger=0)
            assert handled == ["r-10"]
            # The skip reaches the broker with the next heartbeat: the directory counts it.
            for _ in range(200):
                directory = await client.request_raw("mmi.directory")
                if any(a["name"] == "listener" and a.get("skipped", {}).get("failed") == 1 for a in directory["agents"]):
                    break
                await asyncio.sleep(0.05)
            assert any(a["name"] == "listener" and a.get("skipped", {}).get("failed") == 1 for a in directory["agents"]), directory

    asyncio.run(scenario())
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert any(line["event"] == "learned" and line.get("run") == "r-9" for line in lines)
    assert any(line["event"] == "skipped" and line.get("run") == "r-9" for line in lines)
