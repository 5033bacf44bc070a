"""A step with `agent: NAME` goes only to agents of that name, with real processes: two Python
agents offer the same capability under different names; every run's step is served by the
named one, and a step naming an agent that does not offer the capability fails saying who does."""
import json
import sys
import urllib.request

AGENT = """
import sys
from colony import Agent

agent = Agent(sys.argv[1], concurrency=2)

@agent.capability("who.ami")
async def who(params: dict, ctx) -> dict:
    return {"me": sys.argv[1]}

agent.run()
"""

WORKFLOWS = """
workflows:
  - name: to_beta
    steps:
      - {id: ask, capability: who.ami, agent: beta}
  - name: to_gamma
    steps:
      - {id: ask, capability: who.ami, agent: gamma}
"""


def test_a_step_naming_an_agent_is_served_by_that_agent_only(colony_up, tmp_path):
    script = tmp_path / "who.py"
    script.write_text(AGENT)
    agents = (f"agents:\n  - name: alpha\n    command: [{sys.executable}, {script}, alpha]\n"
              f"  - name: beta\n    command: [{sys.executable}, {script}, beta]\n")
    up = colony_up(workflows=WORKFLOWS, agents=agents)
    up.wait_for("who.ami")
    base, token = up.api()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(method, path, body=None):
        request = urllib.request.Request(f"{base}{path}", data=body, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    # Both agents are up (the directory lists both names) before the runs start.
    for _ in range(600):
        names = {agent["name"] for agent in call("GET", "/api/v1/agents")["agents"]}
        if {"alpha", "beta"} <= names:
            break
        import time
        time.sleep(0.1)
    runs = [call("POST", "/api/v1/workflows/to_beta/runs", b"{}")["id"] for _ in range(6)]
    for run in runs:
        detail = wait_until_final(call, run)
        assert detail["run"]["status"] == "completed", detail
        assert detail["run"]["output"]["ask"] == {"me": "beta"}, detail["run"]
        assert detail["attempts"][0]["agent"].startswith("beta@"), detail["attempts"]

    missing = call("POST", "/api/v1/workflows/to_gamma/runs", b"{}")["id"]
    detail = wait_until_final(call, missing)
    assert detail["run"]["status"] == "failed" and detail["run"]["error"]["code"] == "no_agent", detail["run"]
    assert "no agent named 'gamma' offers 'who.ami' (it is offered by alpha, beta)" in detail["run"]["error"]["message"]


def wait_until_final(call, run):
    import time
    for _ in range(600):
        detail = call("GET", f"/api/v1/runs/{run}")
        if detail["run"]["status"] in ("completed", "failed", "cancelled"):
            return detail
        time.sleep(0.05)
    raise AssertionError(f"run {run} never ended: {detail}")
