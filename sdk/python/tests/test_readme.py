"""The README's Python agent is sdk/python/examples/pricing.py, and it runs as documented."""
import asyncio
import os
import signal
import subprocess
import sys

import pytest

from colony import Client, ColonyError
from conftest import ROOT
from test_agent import until_offered

EXAMPLE = ROOT / "sdk" / "python" / "examples" / "pricing.py"


def test_the_readme_shows_the_example_as_it_is():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Writing an agent"):]
    assert "```python\n" + EXAMPLE.read_text() + "```" in section, "README.md's first python block differs from sdk/python/examples/pricing.py"


def test_the_readme_agent_answers_fails_with_its_code_and_stops_on_sigterm(broker):
    environment = {**os.environ, "COLONY_ENDPOINT": broker["requests"], "COLONY_PUBLISH_ENDPOINT": broker["publish"],
                   "COLONY_SUBSCRIBE_ENDPOINT": broker["subscribe"], "COLONY_HEARTBEAT_MS": "200"}
    agent = subprocess.Popen([sys.executable, str(EXAMPLE)], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    async def scenario():
        client = Client(broker["requests"])
        try:
            assert await until_offered(client, "pricing.quote") == {"price": 101.5}
            with pytest.raises(ColonyError) as refused:
                await client.request("pricing.quote", {"qty": 0})
            assert refused.value.code == "bad_quantity"
        finally:
            client.close()
    try:
        asyncio.run(scenario())
        agent.send_signal(signal.SIGTERM)
        output = agent.communicate(timeout=30)[0].decode()
        assert agent.returncode == 0, output
        assert "agent stopped" in output and "agent=pricing" in output, output
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
