"""What journaling every event costs the broker: `colony broker` (release, unsecured, ipc) with
its event journal in memory and in a directory; one publisher sends N events of SIZE bytes as
fast as its high-water mark lets it, one subscriber takes them. Reports events/s (publisher's
first send to the subscriber's last receive) and the broker's CPU seconds per 100k events.
Usage: bench_journal.py COLONY [N] [SIZE] [REPEATS] [BASELINE_COLONY]: with a baseline binary
(one built before the journal), its broker runs the same load too, without the journal key."""
import json
import os
import subprocess
import sys
import tempfile
import time

import zmq


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(colony: str, journal: str, count: int, size: int) -> tuple[float, float]:
    directory = tempfile.mkdtemp(prefix="colony-bench-journal-")
    base = f"ipc://{directory}/bus"
    location = {"memory": ", event_journal: memory", "directory": f", event_journal: {directory}/events"}.get(journal, "")
    with open(f"{directory}/colony.yaml", "w") as config:
        config.write(f"broker: {{endpoint: {base}, publish_endpoint: {base}.pub, subscribe_endpoint: {base}.sub{location}}}\n"
                     f"security: {{mode: none, keys: {directory}/keys}}\nlog: {{level: warning}}\n")
    broker = subprocess.Popen([colony, "broker", "--config", f"{directory}/colony.yaml"], stdout=subprocess.DEVNULL,
                              env={**os.environ, "COLONY_EXIT_WITH_PARENT": "1"})
    context = zmq.Context.instance()
    try:
        subscriber = context.socket(zmq.SUB)
        subscriber.setsockopt(zmq.RCVHWM, 0)
        subscriber.setsockopt(zmq.SUBSCRIBE, b"bench.")
        publisher = context.socket(zmq.XPUB)
        publisher.setsockopt(zmq.SNDHWM, 0)
        for _ in range(200):
            if os.path.exists(f"{directory}/bus.pub"):
                break
            time.sleep(0.05)
        subscriber.connect(f"{base}.sub")
        publisher.connect(f"{base}.pub")
        publisher.recv()  # the broker's subscription: it takes every event from now on
        time.sleep(0.5)   # the subscriber's subscription reaches the broker
        payload = b"x" * size
        before = cpu_seconds(broker.pid)
        start = time.perf_counter()
        for _ in range(count):
            publisher.send_multipart([b"bench.tick", payload])
        for _ in range(count):
            subscriber.recv_multipart()
        elapsed = time.perf_counter() - start
        return count / elapsed, (cpu_seconds(broker.pid) - before) * 100_000 / count
    finally:
        broker.terminate()
        broker.wait()
        subprocess.run(["rm", "-rf", directory])


def main() -> None:
    colony = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    baseline = sys.argv[5] if len(sys.argv) > 5 else None
    results = {"memory": [], "directory": []}
    if baseline:
        results["baseline"] = []
    for _ in range(repeats):
        for journal in results:
            results[journal].append(run(baseline if journal == "baseline" else colony, journal, count, size))
    for journal, runs in results.items():
        rates = sorted(rate for rate, _ in runs)
        cpus = sorted(cpu for _, cpu in runs)
        label = "no journal (baseline)" if journal == "baseline" else f"journal in {journal}"
        print(f"{label:21}: {rates[len(rates) // 2]:>9,.0f} events/s, broker CPU {cpus[len(cpus) // 2]:.2f} s per 100k events "
              f"({count:,} events of {size} bytes, median of {repeats})")
    print(json.dumps({j: [{"eventsPerSecond": r, "cpuPer100k": c} for r, c in runs] for j, runs in results.items()}))


if __name__ == "__main__":
    main()
