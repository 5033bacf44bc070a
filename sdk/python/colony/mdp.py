"""Majordomo frame constants (docs/PROTOCOL.md, "Frame layouts")."""
import os

CLIENT = b"MDPC02"
WORKER = b"MDPW02"
REQUEST, PARTIAL, FINAL = b"\x01", b"\x02", b"\x03"
W_READY, W_REQUEST, W_PARTIAL, W_FINAL, W_HEARTBEAT, W_DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05", b"\x06"
#: The longest topic prefix the broker takes in a subscription (it disconnects a subscriber
#: that sends a longer one).
MAX_SUBSCRIPTION_PREFIX_BYTES = 1024


def subscription_prefix(topic: str) -> bytes:
    """The prefix a topic pattern subscribes to (`a.*` and `a.` alike); ValueError when it is
    longer than the broker takes."""
    prefix = (topic[:-1] if topic.endswith("*") else topic).encode()
    if len(prefix) > MAX_SUBSCRIPTION_PREFIX_BYTES:
        raise ValueError(f"a topic prefix is at most {MAX_SUBSCRIPTION_PREFIX_BYTES} bytes; this one has {len(prefix)}")
    return prefix


def endpoints(requests=None, publish=None, subscribe=None):
    """The broker's endpoints: given, else COLONY_ENDPOINT and friends (as `colony up` sets
    them), else the defaults; event endpoints derive from the request one (port + 1, + 2; for
    ipc://PATH, PATH.pub and PATH.sub) unless given, or unless all come from the environment."""
    if requests is None:
        requests = os.environ.get("COLONY_ENDPOINT") or "tcp://127.0.0.1:5555"
        publish = publish or os.environ.get("COLONY_PUBLISH_ENDPOINT")
        subscribe = subscribe or os.environ.get("COLONY_SUBSCRIBE_ENDPOINT")
    return requests, publish or _shifted(requests, 1), subscribe or _shifted(requests, 2)


def heartbeat_seconds() -> float:
    """The broker's heartbeat interval: COLONY_HEARTBEAT_MS (as `colony up` sets it), else 2.5 s."""
    try:
        milliseconds = int(os.environ.get("COLONY_HEARTBEAT_MS", "2500"))
    except ValueError:
        milliseconds = 2500
    return min(max(milliseconds, 10), 3_600_000) / 1000


def _shifted(endpoint: str, offset: int) -> str:
    if endpoint.startswith("tcp://") and endpoint.rsplit(":", 1)[-1].isdigit():
        host, port = endpoint.rsplit(":", 1)
        return f"{host}:{int(port) + offset}"
    return f"{endpoint}.{'pub' if offset == 1 else 'sub'}"


def secure(socket) -> None:
    """CURVE from COLONY_CURVE_SERVERKEY / _PUBLICKEY / _SECRETKEY, when set."""
    server = os.environ.get("COLONY_CURVE_SERVERKEY")
    if not server:
        return
    socket.curve_serverkey = server.encode()
    socket.curve_publickey = os.environ["COLONY_CURVE_PUBLICKEY"].encode()
    socket.curve_secretkey = os.environ["COLONY_CURVE_SECRETKEY"].encode()


async def connected_publisher(context, endpoint: str, timeout: float = 5.0):
    """An XPUB connected to the broker's publish endpoint, returned once the broker's
    subscription has arrived (it takes every event, for its journal): events sent before then
    would be dropped. After `timeout` seconds it is returned anyway (events may be lost)."""
    import asyncio
    import zmq
    publisher = context.socket(zmq.XPUB)
    publisher.setsockopt(zmq.LINGER, 200)
    secure(publisher)
    publisher.connect(endpoint)
    try:
        while True:
            message = await asyncio.wait_for(publisher.recv(), timeout)
            if message[:1] == b"\x01":
                break
    except asyncio.TimeoutError:
        pass
    return publisher
