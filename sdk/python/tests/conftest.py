"""A real `colony broker` (unsecured, ports chosen by the system) for the SDK's tests; it is
killed at the end of each test, pass or fail."""
import json
import os
import pathlib
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


def colony_binary() -> str:
    if os.environ.get("COLONY_BIN"):
        return os.environ["COLONY_BIN"]
    for build in ("debug", "release"):
        candidate = ROOT / ".build" / build / "colony"
        if candidate.exists():
            return str(candidate)
    pytest.skip("no colony binary: run swift build first (scripts/test does)")


@pytest.fixture
def broker():
    directory = tempfile.mkdtemp(prefix="colony-py-")
    endpoints_file = os.path.join(directory, "endpoints.json")
    process = subprocess.Popen(
        [colony_binary(), "broker", "--insecure", "--endpoint", "tcp://127.0.0.1:0", "--endpoints-file", endpoints_file,
         "--heartbeat-ms", "200", "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "COLONY_EXIT_WITH_PARENT": "1"},
    )
    try:
        for _ in range(1000):
            if os.path.exists(endpoints_file) and os.path.getsize(endpoints_file) > 0:
                break
            time.sleep(0.01)
        endpoints = json.load(open(endpoints_file))
        yield endpoints
    finally:
        process.kill()
        process.wait()
