"""Bytes each queued request adds to a `colony broker`'s resident memory: BURST requests (64-byte
bodies) from 8 clients to a capability nobody serves, as plain MDP clients send them and as
Colony clients do (a header like the orchestrator's: request id, run, step, attempt,
idempotency key, deadline). Usage: bench_queued_memory.py COLONY_BINARY [BURST]."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sdk", "python"))
import zmq  # noqa: E402
from colony.header import ColonyHeader  # noqa: E402


def measure(binary: str, burst: int, with_headers: bool) -> float:
    directory = tempfile.mkdtemp(prefix="colony-memory-")
    endpoints_file = os.path.join(directory, "endpoints.json")
    broker = subprocess.Popen(
        [binary, "broker", "--insecure", "--log-level", "error", "--endpoint", "tcp://127.0.0.1:0",
         "--publish-endpoint", "tcp://127.0.0.1:0", "--subscribe-endpoint", "tcp://127.0.0.1:0", "--endpoints-file", endpoints_file],
        cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = zmq.Context()
    try:
        while not (os.path.exists(endpoints_file) and os.path.getsize(endpoints_file)):
            if broker.poll() is not None:
                raise RuntimeError(f"{binary} broker exited with {broker.returncode}")
            time.sleep(0.05)
        endpoint = json.load(open(endpoints_file))["requests"]

        def rss() -> int:
            with open(f"/proc/{broker.pid}/status") as status:
                return int(next(line for line in status if line.startswith("VmRSS")).split()[1])

        time.sleep(4)  # past the broker's gate recovery (3 s): requests of a run queue at once
        idle = rss()
        clients = [context.socket(zmq.DEALER) for _ in range(8)]
        for client in clients:
            client.setsockopt(zmq.SNDHWM, 0)
            client.setsockopt(zmq.LINGER, 0)
            client.connect(endpoint)
        body = b"x" * 64
        now = int(time.time() * 1000)
        for index in range(burst):
            frames = [b"MDPC02", b"\x01", b"nobody.serves.this"]
            if with_headers:
                run = f"r-{index:016x}"
                frames.append(ColonyHeader(request_id=index + 1, correlation_id=run, step="fetch", attempt=1,
                                           idempotency_key=f"{run}/fetch/1", deadline_ms=now + 600_000,
                                           timestamp_ms=now).encode())
            clients[index % 8].send_multipart(frames + [body])
        queued = idle
        for _ in range(240):  # queued once the RSS stops growing
            time.sleep(0.5)
            current = rss()
            if current == queued:
                break
            queued = current
        return (queued - idle) * 1024 / burst
    finally:
        context.destroy(linger=0)
        broker.kill()
        broker.wait()
        subprocess.run(["rm", "-rf", directory])


if __name__ == "__main__":
    binary, burst = os.path.abspath(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    for with_headers in (False, True):
        kind = "Colony clients (orchestrator-like header)" if with_headers else "plain MDP clients"
        print(f"{kind:42} {measure(binary, burst, with_headers):6.0f} bytes per queued request ({burst:,} queued)")
