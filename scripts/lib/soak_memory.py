"""Broker memory under load, measured from outside on a real `colony broker` process:
bytes per queued request (10k and 100k 100-byte requests to a capability nobody serves) and
resident size during and after a flood of malformed messages. One line per measure.

Usage: soak_memory.py COLONY_BINARY FLOOD_BINARY [MALFORMED_COUNT]
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
        if os.path.exists(endpoints_file):
            with open(endpoints_file) as f:
                return broker, json.load(f)
        time.sleep(0.01)
    broker.kill()
    raise RuntimeError("broker did not bind")


def settle(pid, seconds=2.5):
    time.sleep(seconds)
    return rss_kib(pid)


def queued_bytes(binary, count):
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
            body = b"x" * 100
            for _ in range(count):
                client.send_multipart([b"MDPC02", b"\x01", b"nobody.serves", body])
            while queued() < count:
                time.sleep(0.05)
            after = settle(broker.pid, 1.0)
            per_request = (after - before) * 1024 / count
            print(f"memory: {count} queued 100-byte requests: RSS +{(after - before) / 1024:.1f} MiB, {per_request:.0f} bytes per queued request")
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


if __name__ == "__main__":
    binary, flood = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    queued_bytes(binary, 10_000)
    queued_bytes(binary, 100_000)
    malformed_flood(binary, flood, count)
