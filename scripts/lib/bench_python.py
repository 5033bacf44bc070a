"""Requests per second through a real `colony broker` (unsecured, ipc) to one no-op agent, the
Python SDK's and the built-in Swift echo agent's, driven by the Python SDK's Client at 1 and 32
requests in flight. Usage: bench_python.py COLONY_BINARY [SECONDS]."""
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sdk", "python"))
from colony import Client  # noqa: E402

AGENT = """
from colony import Agent
agent = Agent("noop", concurrency=64)

@agent.capability("echo")
async def echo(params, ctx):
    return params

agent.run()
"""


async def load(endpoint: str, in_flight: int, seconds: float) -> tuple:
    client = Client(endpoint)
    for _ in range(500):
        try:
            await client.request("echo", {"warm": True}, timeout=1)
            break
        except Exception:
            await asyncio.sleep(0.02)
    latencies = []
    deadline = time.monotonic() + seconds

    async def worker():
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await client.request("echo", {"n": 1}, timeout=10)
            latencies.append(time.perf_counter() - started)
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    client.close()
    return len(latencies) / seconds, statistics.median(latencies) * 1000


def main() -> None:
    colony, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 3
    directory = tempfile.mkdtemp(prefix="colony-bench-")
    endpoint = f"ipc://{directory}/bus"
    environment = {**os.environ, "COLONY_ENDPOINT": endpoint, "COLONY_EXIT_WITH_PARENT": "1"}
    broker = subprocess.Popen([colony, "broker", "--insecure", "--endpoint", endpoint, "--log-level", "warning"], env=environment)
    script = os.path.join(directory, "noop.py")
    open(script, "w").write(AGENT)
    try:
        for name, command in (("python", [sys.executable, script]),
                              ("swift", [colony, "agent", "run", "echo", "--endpoint", endpoint, "--concurrency", "64"])):
            agent = subprocess.Popen(command, env=environment, stderr=subprocess.DEVNULL)
            try:
                for in_flight in (1, 32):
                    rate, median = asyncio.run(load(endpoint, in_flight, seconds))
                    print(f"{name:7} agent, {in_flight:2} in flight: {rate:8.0f} req/s, median {median:.2f} ms", flush=True)
            finally:
                agent.terminate()
                agent.wait()
    finally:
        broker.kill()
        broker.wait()


if __name__ == "__main__":
    main()
