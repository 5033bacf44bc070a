"""A real `colony broker` (unsecured, ports chosen by the system) for the SDK's tests; it is
killed at the end of each test, pass or fail."""
import asyncio
import contextlib
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
         "--heartbeat", "200ms", "--log-level", "warning"],
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


def start_broker(endpoint: str, log=subprocess.DEVNULL) -> subprocess.Popen:
    """`colony broker` on `endpoint` (ipc:// paths keep their address across restarts)."""
    return subprocess.Popen(
        [colony_binary(), "broker", "--insecure", "--endpoint", endpoint, "--heartbeat", "200ms", "--log-level", "warning"],
        stdout=log, stderr=log, env={**os.environ, "COLONY_EXIT_WITH_PARENT": "1"},
    )


class ColonyUp:
    """A `colony up` (unsecured, ipc endpoints in a temporary directory) with its own colony.yaml,
    workflows.yaml and agents.yaml; `cli(...)` runs the colony CLI against it."""

    def __init__(self, directory: pathlib.Path, workflows: str, agents: str):
        self.directory = directory
        base = f"ipc://{directory}/bus"
        self.endpoints = {"requests": base, "publish": base + ".pub", "subscribe": base + ".sub"}
        self.config = directory / "colony.yaml"
        self.config.write_text(
            "broker:\n"
            f"  endpoint: {base}\n  publish_endpoint: {base}.pub\n  subscribe_endpoint: {base}.sub\n"
            "  heartbeat_interval: 100ms\n  request_expiry: 10s\n"
            f"security: {{mode: none, keys: {directory}/keys}}\n"
            "http: {endpoint: 127.0.0.1:0}\n"
            "orchestrator:\n"
            f"  database: {directory}/colony.sqlite\n  workflows: [{directory}/workflows.yaml]\n  shutdown_grace: 5s\n"
        )
        (directory / "workflows.yaml").write_text(workflows)
        (directory / "agents.yaml").write_text(agents)
        self.log = open(directory / "up.log", "wb")
        self.process = subprocess.Popen(
            [colony_binary(), "up", "--config", str(self.config), "--agents", str(directory / "agents.yaml"),
             "--run-directory", str(directory / "run")],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "COLONY_EXIT_WITH_PARENT": "1"},
        )

    def cli(self, *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([colony_binary(), *arguments, "--config", str(self.config)], capture_output=True, text=True, timeout=timeout)

    def wait_for(self, *capabilities: str, seconds: float = 60) -> None:
        """Until every capability has an agent (asked through `colony system health`)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = self.cli("agent", "list", "--json", timeout=10)
            if result.returncode == 0 and all(f'"{c}"' in result.stdout for c in capabilities):
                return
            time.sleep(0.1)
        raise AssertionError(f"{capabilities} never offered; colony up said:\n{self.output()}")

    def api(self, seconds: float = 60) -> tuple:
        """The HTTP API's base URL and token, from the dashboard line `colony up` prints."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in self.output().splitlines():
                if " dashboard http://" in line:
                    url = line.split(" dashboard ", 1)[1].strip()
                    base, token = url.split("/?token=")
                    return base, token
            time.sleep(0.05)
        raise AssertionError(f"no dashboard line; colony up said:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return (self.directory / "up.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def colony_up(tmp_path_factory):
    """Starts `colony up`s on demand: `colony_up(workflows=..., agents=...)`; all are stopped at the end."""
    started = []

    def start(workflows: str = "workflows: []\n", agents: str = "agents: []\n") -> ColonyUp:
        directory = pathlib.Path(tempfile.mkdtemp(prefix="colony-up-"))
        up = ColonyUp(directory, workflows, agents)
        started.append(up)
        return up
    try:
        yield start
    finally:
        for up in started:
            up.stop()


@contextlib.asynccontextmanager
async def serving(agent, client):
    """Runs `agent` while the block uses `client`; then stops the agent (gracefully, waiting for
    it) and closes the client, whatever happened in the block."""
    task = asyncio.ensure_future(agent.serve())
    try:
        yield client
    finally:
        agent.stop()
        await task
        client.close()
