"""The HTTP API's live event stream (Server-Sent Events) under a real `colony up`: a run started
over HTTP is followed from its start to its end, step by step, without polling."""
import json
import queue
import threading
import urllib.request

WORKFLOWS = """
workflows:
  - name: add
    steps:
      - id: sum
        capability: math.add
        params: {a: 20, b: 22}
      - id: again
        capability: math.add
        depends_on: [sum]
        params: {a: "${steps.sum.output.result}", b: 0}
"""


def stream_events(url: str, token: str, into: queue.Queue, stop: threading.Event) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        into.put(("status", response.status, response.headers.get("Content-Type")))
        event = {}
        for raw in response:
            if stop.is_set():
                return
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event["topic"] = line[len("event: "):]
            elif line.startswith("data: "):
                event["data"] = json.loads(line[len("data: "):])
            elif line == "" and event:
                into.put(("event", event["topic"], event["data"]))
                event = {}


def test_a_run_is_followed_live_from_start_to_end(colony_up):
    up = colony_up(workflows=WORKFLOWS, agents="agents:\n  - name: math\n    run: math\n")
    up.wait_for("math.add")
    base, token = up.api()
    received: queue.Queue = queue.Queue()
    stop = threading.Event()
    reader = threading.Thread(target=stream_events, args=(f"{base}/api/v1/events?workflow=add", token, received, stop), daemon=True)
    reader.start()
    kind, status, content_type = received.get(timeout=30)
    assert status == 200 and content_type.startswith("text/event-stream")

    def post(path):
        request = urllib.request.Request(f"{base}{path}", data=b"{}", method="POST",
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    run = post("/api/v1/workflows/add/runs")["id"]
    seen = []
    while not seen or seen[-1][0] != "workflow.completed":
        kind, topic, data = received.get(timeout=30)
        assert data["workflow"] == "add", data  # the filter holds, and even the broker's end event names its workflow
        if data.get("run") == run:
            seen.append((topic, data["data"].get("step")))
    stop.set()
    assert seen == [("workflow.started", None), ("step.dispatched", "sum"), ("step.succeeded", "sum"),
                    ("step.dispatched", "again"), ("step.succeeded", "again"), ("workflow.completed", None)], seen

    # Without the token: 401, as JSON.
    try:
        urllib.request.urlopen(f"{base}/api/v1/events", timeout=10)
        raise AssertionError("the stream opened without a token")
    except urllib.error.HTTPError as refused:
        assert refused.code == 401 and json.load(refused)["error"]["code"] == "unauthorized"


def test_a_schedule_tick_is_an_event_naming_its_outcome_and_run(colony_up):
    up = colony_up(workflows=WORKFLOWS + """  - name: hourly
    schedule: {every: 1h}
    steps:
      - id: sum
        capability: math.add
        params: {a: 1, b: 1}
""", agents="agents:\n  - name: math\n    run: math\n")
    up.wait_for("math.add")
    base, token = up.api()
    received: queue.Queue = queue.Queue()
    stop = threading.Event()
    reader = threading.Thread(target=stream_events, args=(f"{base}/api/v1/events?topics=schedule.", token, received, stop), daemon=True)
    reader.start()
    assert received.get(timeout=30)[1] == 200
    request = urllib.request.Request(f"{base}/api/v1/schedules/hourly/trigger", data=b"{}", method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).close()
    kind, topic, data = received.get(timeout=30)
    stop.set()
    assert topic == "schedule.ticked", (topic, data)
    assert data["workflow"] == "hourly" and data["data"]["schedule"] == "hourly", data
    assert data["data"]["outcome"] == "started" and data["run"] == data["data"]["run"], data
    # The same tick is in the schedule's recent ticks.
    request = urllib.request.Request(f"{base}/api/v1/schedules/hourly/ticks?limit=5", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        ticks = json.load(response)["ticks"]
    assert ticks[0]["outcome"] == "started" and ticks[0]["runID"] == data["run"], ticks


def test_each_orchestrator_serves_http_and_health_tells_active_from_standby(tmp_path):
    import subprocess
    import time

    from conftest import colony_binary, start_broker
    endpoint = f"ipc://{tmp_path}/bus"
    (tmp_path / "colony.yaml").write_text(
        f"broker: {{endpoint: {endpoint}, publish_endpoint: {endpoint}.pub, subscribe_endpoint: {endpoint}.sub, heartbeat_interval: 200ms}}\n"
        f"security: {{mode: none, keys: {tmp_path}/keys}}\n"
        f"orchestrator: {{database: {tmp_path}/colony.sqlite, workflows: [{tmp_path}/workflows.yaml], lease: 2s}}\n")
    (tmp_path / "workflows.yaml").write_text(WORKFLOWS)
    broker = start_broker(endpoint)
    orchestrators = []
    try:
        def start(name):
            log = open(tmp_path / f"{name}.log", "w+")
            process = subprocess.Popen([colony_binary(), "orchestrator", "--config", str(tmp_path / "colony.yaml"), "--http", "127.0.0.1:0"],
                                       stdout=log, stderr=subprocess.STDOUT)
            orchestrators.append(process)
            for _ in range(600):
                log.seek(0)
                line = next((l for l in log.read().splitlines() if l.startswith("dashboard http://")), None)
                if line:
                    return line.split(" ", 1)[1].split("/?token=")[0]
                time.sleep(0.05)
            raise AssertionError(f"{name} printed no dashboard URL")

        def state(base):
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=10) as response:
                return json.load(response)["orchestrator"]

        first = start("first")
        for _ in range(200):
            if state(first)["state"] == "active":
                break
            time.sleep(0.05)
        assert state(first)["state"] == "active"
        second = start("second")
        time.sleep(0.5)
        standby = state(second)
        assert standby["state"] == "standby" and standby["leaseHolder"] == state(first)["leaseHolder"], standby
        assert standby["answering"], "a standby's API answers through the active orchestrator"
    finally:
        for process in orchestrators:
            process.kill()
            process.wait()
        broker.kill()
        broker.wait()
