"""Subscription prefixes are bounded: the broker drops a subscriber that sends a longer one
(libzmq keeps a subscription as ~32 bytes per prefix byte), and the SDK refuses to send one."""
import time

import pytest
import zmq
import zmq.utils.monitor

from colony import Agent, mdp


def test_a_subscriber_sending_an_overlong_prefix_is_disconnected_and_one_at_the_limit_is_served(broker):
    context = zmq.Context()
    try:
        greedy = context.socket(zmq.SUB)
        greedy.setsockopt(zmq.LINGER, 0)
        monitor = greedy.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        greedy.setsockopt(zmq.SUBSCRIBE, b"x" * (mdp.MAX_SUBSCRIPTION_PREFIX_BYTES + 1))
        greedy.connect(broker["subscribe"])
        assert monitor.poll(20_000), "the broker never dropped the subscriber of an overlong prefix"
        assert zmq.utils.monitor.recv_monitor_message(monitor)["event"] == zmq.EVENT_DISCONNECTED

        longest = b"y" * mdp.MAX_SUBSCRIPTION_PREFIX_BYTES
        fine = context.socket(zmq.SUB)
        fine.setsockopt(zmq.LINGER, 0)
        fine.setsockopt(zmq.SUBSCRIBE, longest)
        fine.connect(broker["subscribe"])
        publisher = context.socket(zmq.PUB)
        publisher.setsockopt(zmq.LINGER, 0)
        publisher.connect(broker["publish"])
        # Subscriptions and connections settle in the background: publish until one arrives.
        deadline = time.monotonic() + 20
        while not fine.poll(100):
            assert time.monotonic() < deadline, "a prefix of exactly the limit got no event"
            publisher.send_multipart([longest + b".tail", b"{}"])
        assert fine.recv_multipart()[0] == longest + b".tail"
    finally:
        context.destroy(linger=0)


def test_the_sdk_refuses_an_overlong_prefix_before_sending_it():
    assert mdp.subscription_prefix("orders.*") == b"orders."
    assert mdp.subscription_prefix("é" * 512) == ("é" * 512).encode()
    with pytest.raises(ValueError, match="at most 1024 bytes"):
        mdp.subscription_prefix("é" * 513)
    agent = Agent("listener", endpoint="tcp://127.0.0.1:1")
    with pytest.raises(ValueError):
        agent.on("z" * 1025)
