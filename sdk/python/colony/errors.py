"""Errors as Colony carries them: a machine-readable code and a message."""
from __future__ import annotations


class ColonyError(Exception):
    """A coded error. Raised in a handler, it fails the request (and the workflow step) with
    this code; raised by `Client.request`, it is the agent's or the broker's answer."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class NoAgentError(ColonyError):
    """No agent offered the capability before the request expired."""


class TimeoutError(ColonyError):  # noqa: A001 - the name the SDK promises
    """No answer in time."""


def from_reply(code: str, message: str) -> ColonyError:
    if code == "no_agent":
        return NoAgentError(code, message)
    if code == "timeout":
        return TimeoutError(code, message)
    return ColonyError(code, message)
