"""Broker memory under load, measured from outside on a real `colony broker` process:
bytes per queued request (10k and 100k 100-byte requests to a capability nobody serves) and
resident size during and after a flood of malformed messages. One line per measure.

Usage: soak_memory.py COLONY_BINARY FLOOD_BINARY [MALFORMED_COUNT]
       soak_memory.py queued COLONY_BINARY [COUNT]   (bytes per queued 64-byte request, from plain
       MDP clients and from Colony clients with an orchestrator-like header: scripts/bench-queued-memory)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import zmq


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_broker(binary, directory):
    endpoints_file = os.path.join(directory, "endpoints.json")
    broker = subprocess.Popen(
        [binary, "broker", "--insecure", "--endpoint", "tcp://127.0.0.1:0", "--endpoints-file", endpoints_file,
         "--request-expiry", "600s", "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        if os.path.exists(endpoints_file) and os.path.getsize(endpoints_file) > 0:
            with open(endpoints_file) as f:
                return broker, json.load(f)
        time.sleep(0.01)
    broker.kill()
    raise RuntimeError("broker did not bind")


def settle(pid, seconds=2.5):
    time.sleep(seconds)
    return rss_kib(pid)


def orchestrator_like_header(index, now_ms):
    """A header like the orchestrator's on a step's request: request id, run, step, attempt,
    idempotency key, deadline, timestamp."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))
    from colony.header import ColonyHeader
    run = f"r-{index:016x}"
    return ColonyHeader(request_id=index + 1, correlation_id=run, step="fetch", attempt=1, idempotency_key=f"{run}/fetch/1",
                        deadline_ms=now_ms + 600_000, timestamp_ms=now_ms).encode()


def queued_bytes(binary, count, body_size=100, with_headers=False):
    with tempfile.TemporaryDirectory() as directory:
        broker, endpoints = start_broker(binary, directory)
        try:
            context = zmq.Context()
            client = context.socket(zmq.DEALER)
            client.setsockopt(zmq.SNDHWM, 0)
            client.connect(endpoints["requests"])
            stats = context.socket(zmq.DEALER)
            stats.connect(endpoints["requests"])
            def queued():
                stats.send_multipart([b"MDPC02", b"\x01", b"mmi.stats"])
                return json.loads(stats.recv_multipart()[-1])["requestsQueued"]
            queued()
            before = settle(broker.pid, 1.0)
            body = b"x" * body_size
            now_ms = int(time.time() * 1000)
            for index in range(count):
                header = [orchestrator_like_header(index, now_ms)] if with_headers else []
                client.send_multipart([b"MDPC02", b"\x01", b"nobody.serves"] + header + [body])
            while queued() < count:
                time.sleep(0.05)
            after = settle(broker.pid, 1.0)
            per_request = (after - before) * 1024 / count
            senders = "Colony clients (orchestrator-like header)" if with_headers else "plain MDP clients"
            print(f"memory: {count} queued {body_size}-byte requests from {senders}: RSS +{(after - before) / 1024:.1f} MiB, "
                  f"{per_request:.0f} bytes per queued request")
            client.close(0)
            stats.close(0)
            context.term()
        finally:
            broker.kill()
            broker.wait()


def malformed_flood(binary, flood, count):
    with tempfile.TemporaryDirectory() as directory:
        broker, endpoints = start_broker(binary, directory)
        try:
            context = zmq.Context()
            stats = context.socket(zmq.DEALER)
            stats.connect(endpoints["requests"])
            def malformed():
                stats.send_multipart([b"MDPC02", b"\x01", b"mmi.stats"])
                return json.loads(stats.recv_multipart()[-1])["malformedMessages"]
            base = settle(broker.pid, 1.0)
            peak = base
            started = time.monotonic()
            sender = subprocess.Popen([flood, endpoints["requests"], str(count), "8"])
            while sender.poll() is None or malformed() < count:
                peak = max(peak, rss_kib(broker.pid))
                time.sleep(0.02)
                if time.monotonic() - started > 300:
                    raise RuntimeError("the flood was not counted within 5 minutes")
            elapsed = time.monotonic() - started
            after = settle(broker.pid, 3.0)
            print(f"memory: {count} malformed messages from 8 C senders in {elapsed:.1f} s: RSS {base / 1024:.1f} MiB before, "
                  f"peak {peak / 1024:.1f} MiB, {after / 1024:.1f} MiB 3 s after (all counted, broker alive: {broker.poll() is None})")
            stats.close(0)
            context.term()
        finally:
            broker.kill()
            broker.wait()


if __name__ == "__main__" and sys.argv[1] == "queued":
    queued = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    queued_bytes(sys.argv[2], queued, body_size=64)
    queued_bytes(sys.argv[2], queued, body_size=64, with_headers=True)
elif __name__ == "__main__":
    binary, flood = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    queued_bytes(binary, 10_000)
    queued_bytes(binary, 100_000)
    malformed_flood(binary, flood, count)
