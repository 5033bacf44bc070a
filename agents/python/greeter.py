#!/usr/bin/env python3
"""A Colony agent in Python, on the SDK (sdk/python, `pip install ./sdk/python`). It offers `py.greet`:

    colony request py.greet '{"name":"Ada"}'   ->   {"greeting": "Hello, Ada!"}

Usage: greeter.py [ENDPOINT] [--heartbeat-ms N]. Without arguments it takes the broker's endpoints
and heartbeat from COLONY_ENDPOINT… and COLONY_HEARTBEAT_MS, and its CURVE credentials from
COLONY_CURVE_*, as `colony up` sets them for every agent.
"""
import argparse
from dataclasses import dataclass

from colony import Agent


@dataclass
class Greeting:
    name: str = "world"


def main() -> None:
    parser = argparse.ArgumentParser(description="The py.greet example agent.")
    parser.add_argument("endpoint", nargs="?", help="the broker's request endpoint (default: COLONY_ENDPOINT)")
    parser.add_argument("--heartbeat-ms", type=int, help="heartbeat interval (default: COLONY_HEARTBEAT_MS, else 2500)")
    arguments = parser.parse_args()
    agent = Agent("greeter", concurrency=4, endpoint=arguments.endpoint,
                  heartbeat=arguments.heartbeat_ms / 1000 if arguments.heartbeat_ms else None)

    @agent.capability("py.greet")
    async def greet(params: Greeting, ctx) -> dict:
        """Greets someone by name."""
        return {"greeting": f"Hello, {params.name}!"}

    agent.run()


if __name__ == "__main__":
    main()
