"""`/metrics` under a real `colony up` after a few runs, a restart, a refused and a malformed
request: the Prometheus text parses and the families carry real values. And a standalone
`colony broker --metrics`."""
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.request

import zmq

from colony import ColonyHeader
from conftest import ROOT, colony_binary

WORKFLOWS = """
workflows:
  - name: add
    steps:
      - id: sum
        capability: math.add
        params: {a: 1, b: 2}
  - name: divide
    steps:
      - id: div
        capability: math.div
        params: {a: 1, b: 0}
        retry: {max_attempts: 2, initial_interval: 10ms}
  - name: tick
    schedule: {every: 1s}
    steps:
      - id: sum
        capability: math.add
        params: {a: 1, b: 1}
"""
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$')


def parse(text: str) -> dict:
    """{(name, frozenset(labels)): value}; every sample line must be valid exposition format."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, f"not Prometheus text: {line!r}"
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        samples[(match.group(1), labels)] = float(match.group(4))
    return samples


def value(samples: dict, name: str, **labels) -> float:
    wanted = frozenset(labels.items())
    found = [v for (n, l), v in samples.items() if n == name and wanted <= l]
    assert found, f"no {name} {labels} in {sorted({n for n, _ in samples})}"
    return sum(found)


def test_metrics_show_the_broker_orchestrator_scheduler_and_supervisor(colony_up):
    up = colony_up(workflows=WORKFLOWS, agents="""
agents:
  - name: math
    run: math
  - name: crasher
    command: [sh, -c, "sleep 0.2; exit 3"]
    restart: always
    backoff: {initial: 100ms, max: 200ms}
    crash_loop: {restarts: 1000, window: 1m}
""")
    up.wait_for("math.add")
    base, token = up.api()

    def post(path, body=b"{}"):
        request = urllib.request.Request(f"{base}{path}", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def get(path):
        request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    runs = [post("/api/v1/workflows/add/runs")["id"] for _ in range(3)] + [post("/api/v1/workflows/divide/runs")["id"]]
    for run in runs:
        for _ in range(300):
            if get(f"/api/v1/runs/{run}")["run"]["status"] in ("completed", "failed"):
                break
            time.sleep(0.02)

    # A request nobody serves, and a malformed message, straight at the broker.
    context = zmq.Context.instance()
    client = context.socket(zmq.DEALER)
    client.setsockopt(zmq.LINGER, 0)
    client.connect(up.endpoints["requests"])
    deadline = ColonyHeader(request_id=1, deadline_ms=int(time.time() * 1000) + 300).encode()
    client.send_multipart([b"MDPC02", b"\x01", b"nobody.here", deadline, b"{}"])
    client.send_multipart([b"GARBAGE"])
    time.sleep(0.5)
    client.close()

    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:  # no token needed
            assert response.headers["Content-Type"].startswith("text/plain")
            samples = parse(response.read().decode())
        try:
            assert value(samples, "colony_broker_requests_total", capability="math.add", outcome="ok") >= 3
            assert value(samples, "colony_broker_request_duration_seconds_count", capability="math.add") >= 3
            assert value(samples, "colony_runs_total", workflow="add", status="completed") == 3
            assert value(samples, "colony_step_duration_seconds_count", workflow="add", step="sum", outcome="succeeded") == 3
            assert value(samples, "colony_run_queue_wait_seconds_count", workflow="add") == 3
            assert value(samples, "colony_step_retries_total", workflow="divide", step="div") == 1
            assert value(samples, "colony_runs_total", workflow="divide", status="failed") == 1
            assert value(samples, "colony_broker_requests_total", capability="math.div", outcome="error") == 2
            assert value(samples, "colony_schedule_lateness_seconds_count", schedule="tick") >= 1
            assert value(samples, "colony_schedule_ticks_total", schedule="tick", outcome="started") >= 1
            assert value(samples, "colony_broker_agents", state="idle") + value(samples, "colony_broker_agents", state="working") >= 1
            assert value(samples, "colony_orchestrator_active") == 1 and value(samples, "colony_orchestrator_term") >= 1
            assert any(n == "colony_orchestrator_active" and dict(l).get("holder", "").count("/") == 2 for (n, l) in samples), \
                "the lease holder is named (host/pid/nonce)"
            assert value(samples, "colony_agent_restarts_total", agent="crasher") >= 1
            assert value(samples, "colony_broker_malformed_messages_total") >= 1
            assert value(samples, "colony_broker_requests_total", capability="nobody.here", outcome="no_agent") == 1
            assert ("colony_broker_queue_depth", frozenset({("capability", "math.add")})) in samples
            # The shipped Grafana dashboard asks only for families that exist.
            dashboard = json.loads((ROOT / "docs" / "grafana" / "colony-dashboard.json").read_text())
            asked = {re.sub(r"_(bucket|count|sum)$", "", name) for panel in dashboard["panels"] for target in panel["targets"]
                     for name in re.findall(r"colony_[a-z_]+", target["expr"])}
            present = {re.sub(r"_(bucket|count|sum)$", "", name) for name, _ in samples}
            assert asked <= present, f"the dashboard asks for {sorted(asked - present)}"
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_standalone_broker_serves_its_metrics():
    directory = tempfile.mkdtemp(prefix="colony-metrics-")
    endpoint = f"ipc://{directory}/bus"
    log = open(os.path.join(directory, "broker.log"), "w+")
    broker = subprocess.Popen([colony_binary(), "broker", "--insecure", "--endpoint", endpoint, "--metrics", "127.0.0.1:0",
                               "--log-level", "info", "--log-format", "json"], stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "COLONY_EXIT_WITH_PARENT": "1"})
    try:
        port = None
        for _ in range(500):
            log.seek(0)
            for line in log.read().splitlines():
                if '"metrics listening"' in line:
                    port = json.loads(line)["port"]
            if port:
                break
            time.sleep(0.02)
        assert port, "the broker never said where its metrics are"
        for _ in range(100):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                samples = parse(response.read().decode())
            if any(name == "colony_broker_agents" for name, _ in samples):
                break
            time.sleep(0.1)
        assert value(samples, "colony_broker_agents", state="idle") == 0
    finally:
        broker.kill()
        broker.wait()
        log.close()
