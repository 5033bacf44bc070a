"""Typed inputs (dataclasses, pydantic models), capability descriptions as the broker and the CLI
show them, and reconnecting after a broker restart."""
import asyncio
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Optional

import pytest

from colony import Agent, Client, ColonyError
from colony import schema
from conftest import colony_binary, start_broker, serving
from test_agent import until_offered


@dataclass
class Line:
    sku: str
    qty: int


@dataclass
class Order:
    customer: str
    lines: list[Line]
    note: Optional[str] = None
    tags: list[str] = field(default_factory=list)


def test_dataclass_inputs_are_built_and_bad_ones_name_the_field():
    order = schema.decode(Order, {"customer": "ada", "lines": [{"sku": "w", "qty": 2.0}]})
    assert order == Order("ada", [Line("w", 2)])
    for bad, where in (({"lines": []}, "missing field 'customer'"),
                       ({"customer": "ada", "lines": [{"sku": "w", "qty": "two"}]}, "params.lines[0].qty: expected integer"),
                       ({"customer": "ada", "lines": [], "colour": "red"}, "unexpected field 'colour'"),
                       ([1], "expected an object")):
        with pytest.raises(ColonyError) as refused:
            schema.decode(Order, bad)
        assert refused.value.code == "bad_request" and where in refused.value.message, refused.value.message
    described = schema.json_schema(Order)
    assert described["required"] == ["customer", "lines"]
    assert described["properties"]["lines"] == {"type": "array", "items": {
        "type": "object", "title": "Line", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
        "additionalProperties": False, "required": ["sku", "qty"]}}
    assert described["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}


def test_capability_names_the_broker_would_refuse_are_refused_at_once():
    agent = Agent("names", endpoint="tcp://127.0.0.1:1")
    agent.capability("c" * 255)(lambda params, ctx: params)
    for bad in ("", "mmi.stats", "c" * 256, "é" * 128):
        with pytest.raises(ValueError, match="invalid capability name"):
            agent.capability(bad)


def test_pydantic_models_validate_and_describe_themselves():
    pydantic = pytest.importorskip("pydantic")

    class Quote(pydantic.BaseModel):
        qty: int
        currency: str = "EUR"

    assert schema.decode(Quote, {"qty": 3}).currency == "EUR"
    with pytest.raises(ColonyError) as refused:
        schema.decode(Quote, {"qty": "many"})
    assert refused.value.code == "bad_request" and "qty" in refused.value.message
    assert schema.json_schema(Quote)["required"] == ["qty"]
    assert schema.to_json(Quote(qty=1)) == {"qty": 1, "currency": "EUR"}


def test_descriptions_reach_the_directory_and_the_cli_explains_bad_input(broker, tmp_path):
    async def scenario():
        agent = Agent("shop", endpoint=broker["requests"], publish_endpoint=broker["publish"], subscribe_endpoint=broker["subscribe"],
                      heartbeat=0.2)

        @agent.capability("shop.order")
        async def order(params: Order, ctx) -> Order:
            """Places an order."""
            return params

        @agent.capability("shop.raw", summary="Takes anything", input_schema={"type": "array"})
        async def raw(params, ctx):
            return params

        async with serving(agent, Client(broker["requests"])) as client:
            for _ in range(500):
                if await client.request_raw("mmi.service", "shop.order") == 200:
                    break
                await asyncio.sleep(0.02)
            echoed = await client.request("shop.order", {"customer": "ada", "lines": [{"sku": "w", "qty": 1}]})
            assert echoed == {"customer": "ada", "lines": [{"sku": "w", "qty": 1}], "note": None, "tags": []}
            directory = await client.request_raw("mmi.directory")
            described = {c["name"]: c.get("description") for c in directory["capabilities"]}
            assert described["shop.order"]["summary"] == "Places an order."
            assert described["shop.order"]["input"]["required"] == ["customer", "lines"]
            assert described["shop.raw"] == {"summary": "Takes anything", "input": {"type": "array"}}

            configuration = tmp_path / "insecure.yaml"
            configuration.write_text("security:\n  mode: none\n")
            result = await asyncio.to_thread(subprocess.run, [colony_binary(), "request", "shop.order", '{"customer": "ada"}', "--endpoint",
                                                              broker["requests"], "--config", str(configuration)], capture_output=True, text=True)
            assert result.returncode == 1
            assert "missing field 'lines'" in result.stderr, result.stderr
            assert "shop.order expects {customer: string, lines: [{qty: integer, sku: string}], note?: string | null, tags?: [string]}" in result.stderr, result.stderr
            info = await asyncio.to_thread(subprocess.run, [colony_binary(), "agent", "info", "shop", "--endpoint", broker["requests"],
                                                            "--config", str(configuration)], capture_output=True, text=True)
            assert "Places an order." in info.stdout and "input: [any]" in info.stdout, info.stdout
    asyncio.run(scenario())


def test_an_agent_comes_back_after_the_broker_restarts():
    directory = tempfile.mkdtemp(prefix="colony-py-")
    endpoint = f"ipc://{directory}/bus"
    broker = start_broker(endpoint)

    async def scenario():
        nonlocal broker
        agent = Agent("phoenix", endpoint=endpoint, publish_endpoint=endpoint + ".pub", subscribe_endpoint=endpoint + ".sub", heartbeat=0.2)

        @agent.capability("phoenix.ping")
        async def ping(params, ctx):
            return {"pong": params}

        running = asyncio.ensure_future(agent.serve())
        try:
            client = Client(endpoint)
            await until_offered(client, "phoenix.ping")
            client.close()
            broker.kill()
            broker.wait()
            broker = start_broker(endpoint)
            client = Client(endpoint)
            assert (await until_offered(client, "phoenix.ping")) == {"pong": {"qty": 1}}
            client.close()
        finally:
            agent.stop()
            await running
    try:
        asyncio.run(scenario())
    finally:
        broker.kill()
        broker.wait()
