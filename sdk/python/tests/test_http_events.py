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
