"""A workflow mixing Swift and Python agents under a real `colony up`: the shipped `place_order`
workflow (configs/workflows.yaml) with the Swift math agent and the Python warehouse
(agents/python/warehouse.py) as supervised processes."""
import json
import sys
import time

from conftest import ROOT


def shipped_workflow(name: str) -> str:
    """One workflow of configs/workflows.yaml, as the only one of a workflows file."""
    text = (ROOT / "configs" / "workflows.yaml").read_text()
    blocks = text.split("\n  - name: ")
    block = next(b for b in blocks[1:] if b.split("\n", 1)[0].strip() == name)
    return "workflows:\n  - name: " + block.rstrip() + "\n"


def journal_lines(path) -> list:
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def test_a_workflow_of_swift_and_python_agents_retries_fails_compensates_and_gates(colony_up, tmp_path):
    journal = tmp_path / "warehouse.jsonl"
    up = colony_up(workflows=shipped_workflow("place_order"), agents=f"""
agents:
  - name: math
    run: math
  - name: warehouse
    command: [{sys.executable}, {ROOT / "agents" / "python" / "warehouse.py"}]
    environment:
      COLONY_EXECUTION_JOURNAL: {journal}
      WAREHOUSE_STOCK: '{{"widget": 100, "gadget": 3}}'
""")
    up.wait_for("math.mul", "warehouse.reserve", "warehouse.ship", "warehouse.release")

    # The happy path crosses languages: Python reserves, Swift prices, Python ships.
    done = up.cli("workflow", "run", "place_order", "--input", '{"qty": 2, "price": 9.5}', "--wait", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    detail = json.loads(done.stdout)
    assert detail["run"]["status"] == "completed"
    shipped = next(s for s in detail["steps"] if s["stepID"] == "ship")
    assert json.loads(json.dumps(shipped["output"])) == {"shipped": f"{detail['run']['id']}/widget", "total": 19.0}

    # A retryable Python error is retried by policy: the contended shelf succeeds on attempt 2.
    contended = up.cli("workflow", "run", "place_order", "--input", '{"qty": 1, "contended": true}', "--wait", "--json")
    assert contended.returncode == 0, contended.stdout + contended.stderr
    contended_detail = json.loads(contended.stdout)
    reserve_attempts = [a for a in contended_detail["attempts"] if a["stepID"] == "reserve"]
    assert [a.get("errorCode") for a in reserve_attempts] == ["shelf_locked", None]

    # A non-retryable Python ColonyError fails the run with its code, once, and compensates.
    failed = up.cli("workflow", "run", "place_order", "--input", '{"item": "gadget", "qty": 5}', "--wait", "--json")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    failed_detail = json.loads(failed.stdout)
    run = failed_detail["run"]["id"]
    assert failed_detail["run"]["status"] == "failed" and failed_detail["run"]["errorCode"] == "out_of_stock"
    assert len([a for a in failed_detail["attempts"] if a["stepID"] == "reserve"]) == 1
    release = next(s for s in failed_detail["steps"] if s["stepID"] == "release")
    assert release["status"] == "succeeded" and release["output"]["reason"] == "out_of_stock"
    assert not any(s["stepID"] == "ship" and s["status"] == "succeeded" for s in failed_detail["steps"])

    # The failure gate: an event of the failed run does not start the Python event handler
    # (skipped, journaled and reported to the run), while events of a completed run do.
    deadline = time.monotonic() + 30
    while not any(l["event"] == "learned" and l.get("run") == run for l in journal_lines(journal)):
        assert time.monotonic() < deadline, f"the warehouse never learned that {run} failed: {journal_lines(journal)}"
        time.sleep(0.1)
    while not any(l["event"] == "skipped" and l.get("run") == run for l in journal_lines(journal)):
        assert time.monotonic() < deadline, f"no skip of {run}: {journal_lines(journal)}"
        published = up.cli("publish", "orders.late", '{"item": "gadget"}', "--correlation-id", run, "--connect-wait", "100ms")
        assert published.returncode == 0, published.stderr
        time.sleep(0.2)
    lines = journal_lines(journal)
    assert not any(l["event"] == "started" and l["handler"] == "warehouse.on(orders.)" and l.get("run") == run for l in lines)
    assert any(l["event"] == "succeeded" and l["handler"] == "warehouse.on(orders.)" and l.get("run") == detail["run"]["id"] for l in lines), lines
    shown = up.cli("workflow", "show", run, "--json")
    assert any(s["agent"] == "warehouse" and s["handler"] == "warehouse.on(orders.)" for s in json.loads(shown.stdout)["skipped"]), shown.stdout
