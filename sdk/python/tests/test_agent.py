"""The Python SDK's agent and client against a real broker."""
import asyncio
import subprocess

import pytest
import zmq
import zmq.asyncio

from colony import Agent, Client, ColonyError, ColonyHeader
from conftest import colony_binary, serving


def pricing_agent(endpoints, seen):
    agent = Agent("pricing", concurrency=8, endpoint=endpoints["requests"], publish_endpoint=endpoints["publish"],
                  subscribe_endpoint=endpoints["subscribe"], heartbeat=0.2)

    @agent.capability("pricing.quote")
    async def quote(params, ctx):
        seen.append((ctx.run_id, ctx.step, ctx.instance))
        if params["qty"] <= 0:
            raise ColonyError("bad_quantity", "qty must be positive")
        await ctx.publish("pricing.quoted", {"qty": params["qty"]})
        if params.get("slow"):
            await asyncio.sleep(params["slow"])
        return {"price": 101.5 * params["qty"]}

    return agent


async def until_offered(client: Client, capability: str):
    for _ in range(500):
        try:
            return await client.request(capability, {"qty": 1}, timeout=0.5)
        except ColonyError:
            await asyncio.sleep(0.02)
    raise AssertionError(f"{capability} never became available")


def test_answers_errors_and_events_carry_the_run(broker):
    async def scenario():
        seen = []
        agent = pricing_agent(broker, seen)
        running = asyncio.ensure_future(agent.serve())
        client = Client(broker["requests"])
        subscriber = zmq.asyncio.Context.instance().socket(zmq.SUB)
        subscriber.setsockopt(zmq.SUBSCRIBE, b"pricing.")
        subscriber.connect(broker["subscribe"])
        try:
            await until_offered(client, "pricing.quote")
            assert await client.request("pricing.quote", {"qty": 2}, correlation_id="r-42") == {"price": 203.0}
            assert seen[-1][0] == "r-42" and seen[-1][2] == agent.instance

            with pytest.raises(ColonyError) as refused:
                await client.request("pricing.quote", {"qty": 0}, correlation_id="r-43")
            assert refused.value.code == "bad_quantity" and "positive" in refused.value.message

            # Events published in a handler carry its run.
            # (The subscription may still be on its way: ask again until one of r-44's arrives.)
            received = []
            for _ in range(50):
                await client.request("pricing.quote", {"qty": 3}, correlation_id="r-44")
                while await subscriber.poll(100):
                    topic, header, payload = await subscriber.recv_multipart()
                    received.append((topic, ColonyHeader.decode(header).correlation_id))
                if (b"pricing.quoted", "r-44") in received:
                    break
            assert (b"pricing.quoted", "r-44") in received
        finally:
            subscriber.close(linger=0)
            agent.stop()
            await running
            client.close()
    asyncio.run(scenario())


def test_the_cli_sees_a_python_agents_error_as_an_error(broker, tmp_path):
    async def scenario():
        agent = pricing_agent(broker, [])
        async with serving(agent, Client(broker["requests"])) as client:
            await until_offered(client, "pricing.quote")
            configuration = tmp_path / "insecure.yaml"
            configuration.write_text("security:\n  mode: none\n")
            result = await asyncio.to_thread(subprocess.run, [colony_binary(), "request", "pricing.quote", '{"qty":0}', "--endpoint",
                                                              broker["requests"], "--config", str(configuration)],
                                             capture_output=True, text=True)
            assert result.returncode == 1, result.stdout + result.stderr
            assert "bad_quantity" in result.stdout + result.stderr
    asyncio.run(scenario())


def test_stopping_lets_work_in_flight_finish(broker):
    async def scenario():
        agent = pricing_agent(broker, [])
        running = asyncio.ensure_future(agent.serve())
        client = Client(broker["requests"])
        try:
            await until_offered(client, "pricing.quote")
            slow = asyncio.ensure_future(client.request("pricing.quote", {"qty": 1, "slow": 0.5}, timeout=10))
            await asyncio.sleep(0.1)
            agent.stop()
            assert await slow == {"price": 101.5}
            await running
        finally:
            client.close()
    asyncio.run(scenario())


def test_the_client_tells_no_agent_from_a_timeout(broker):
    from colony import NoAgentError, TimeoutError

    async def scenario():
        agent = pricing_agent(broker, [])
        async with serving(agent, Client(broker["requests"])) as client:
            await until_offered(client, "pricing.quote")
            with pytest.raises(NoAgentError) as nobody:
                await client.request("nobody.here", {}, timeout=0.5)
            assert nobody.value.code == "no_agent"
            with pytest.raises(TimeoutError) as slow:
                await client.request("pricing.quote", {"qty": 1, "slow": 2}, timeout=0.3)
            assert slow.value.code == "timeout"
    asyncio.run(scenario())


def test_partial_replies_stream_and_requests_inside_a_handler_carry_the_run(broker, tmp_path):
    async def scenario():
        agent = Agent("counter", concurrency=4, endpoint=broker["requests"], publish_endpoint=broker["publish"],
                      subscribe_endpoint=broker["subscribe"], heartbeat=0.2)
        runs = []

        @agent.capability("py.count")
        async def count(params, ctx):
            runs.append(ctx.run_id)
            for n in range(1, params["to"]):
                await ctx.send_partial({"n": n})
            return {"n": params["to"]}

        @agent.capability("py.relay")
        async def relay(params, ctx):
            return {"relayed": await ctx.request("py.count", {"to": 1}, timeout=5)}

        async with serving(agent, Client(broker["requests"])) as client:
            for _ in range(500):
                if await client.request_raw("mmi.service", "py.count") == 200:
                    break
                await asyncio.sleep(0.02)
            assert await client.request("py.relay", {}, correlation_id="r-77") == {"relayed": {"n": 1}}
            assert runs == ["r-77"], "the inner request carried the outer one's run"

            configuration = tmp_path / "insecure.yaml"
            configuration.write_text("security:\n  mode: none\n")
            streamed = await asyncio.to_thread(subprocess.run, [colony_binary(), "request", "py.count", '{"to": 3}', "--stream",
                                                                "--endpoint", broker["requests"], "--config", str(configuration)],
                                               capture_output=True, text=True)
            assert streamed.returncode == 0, streamed.stderr
            assert [line for line in streamed.stdout.splitlines() if line] == ['{"n": 1}', '{"n": 2}', '{"n": 3}']
    asyncio.run(scenario())


def test_stopping_lets_event_handlers_in_flight_finish(broker):
    async def scenario():
        agent = Agent("listener", endpoint=broker["requests"], publish_endpoint=broker["publish"], subscribe_endpoint=broker["subscribe"],
                      heartbeat=0.2)
        began, finished = asyncio.Event(), []

        @agent.capability("listener.ping")
        async def ping(params, ctx):
            return "pong"

        @agent.on("slow.")
        async def slow(event, ctx):
            began.set()
            await asyncio.sleep(0.5)
            finished.append(event)

        running = asyncio.ensure_future(agent.serve())
        client = Client(broker["requests"], publish_endpoint=broker["publish"])
        try:
            await until_offered(client, "listener.ping")
            for _ in range(100):
                await client.publish("slow.work", {"n": 1})
                try:
                    await asyncio.wait_for(began.wait(), 0.05)
                    break
                except asyncio.TimeoutError:
                    continue
            agent.stop()
            await running
            assert finished and finished[0] == {"n": 1}, "the stop waited for the handler"
        finally:
            client.close()
    asyncio.run(scenario())
