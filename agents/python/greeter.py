#!/usr/bin/env python3
"""A Colony agent in Python: a plain MDP/0.1 worker (ZeroMQ RFC 7) using only pyzmq.

Any MDP worker is a Colony agent. This one offers `py.greet`:
    colony request py.greet '{"name":"Ada"}'   ->   {"greeting": "Hello, Ada!"}

Usage: greeter.py [ENDPOINT] [--heartbeat-ms N]

On a secured bus (`security: {mode: curve}`, the default of `colony up`) it authenticates with
CURVE from COLONY_CURVE_SERVERKEY, COLONY_CURVE_PUBLICKEY and COLONY_CURVE_SECRETKEY, which
`colony up` sets for every agent (or `colony keys add NAME --role agent` prints for yours).
"""
import json
import os
import signal
import sys
import time

import zmq

MDPW01 = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"
SERVICE = b"py.greet"


def greet(body: bytes) -> bytes:
    try:
        name = json.loads(body or b"{}").get("name", "world")
    except (ValueError, AttributeError):
        return json.dumps({"error": {"code": "bad_request", "message": "expected a JSON object"}}).encode()
    return json.dumps({"greeting": f"Hello, {name}!"}).encode()


def secure(socket) -> None:
    """Turns CURVE on when the environment carries credentials (pyzmq supports it as is)."""
    server = os.environ.get("COLONY_CURVE_SERVERKEY")
    if not server:
        return
    socket.curve_serverkey = server.encode()
    socket.curve_publickey = os.environ["COLONY_CURVE_PUBLICKEY"].encode()
    socket.curve_secretkey = os.environ["COLONY_CURVE_SECRETKEY"].encode()


def main() -> int:
    args = sys.argv[1:]
    endpoint = next((a for a in args if not a.startswith("--")), "tcp://127.0.0.1:5555")
    interval = 2.5
    if "--heartbeat-ms" in args:
        interval = int(args[args.index("--heartbeat-ms") + 1]) / 1000
    liveness_limit = 3

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))

    context = zmq.Context()
    while not stopping:
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        secure(socket)
        socket.connect(endpoint)
        socket.send_multipart([b"", MDPW01, READY, SERVICE])
        print(f"greeter: ready on {endpoint}", flush=True)
        liveness = liveness_limit
        next_heartbeat = time.monotonic() + interval
        while not stopping:
            if socket.poll(int(interval * 1000)):
                frames = socket.recv_multipart()
                liveness = liveness_limit
                if len(frames) < 3 or frames[1] != MDPW01:
                    continue
                command = frames[2]
                if command == REQUEST and len(frames) >= 5:
                    client, body = frames[3], b"".join(frames[5:])
                    socket.send_multipart([b"", MDPW01, REPLY, client, b"", greet(body)])
                    next_heartbeat = time.monotonic() + interval
                elif command == DISCONNECT:
                    break
            else:
                liveness -= 1
                if liveness == 0:
                    break
            if time.monotonic() >= next_heartbeat:
                socket.send_multipart([b"", MDPW01, HEARTBEAT])
                next_heartbeat = time.monotonic() + interval
        if stopping:
            socket.send_multipart([b"", MDPW01, DISCONNECT])
        socket.close()
        if not stopping:
            time.sleep(0.5)
    context.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
