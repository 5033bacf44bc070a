"""Coordination as an agent sees it: proposals, votes and bids (consensus and contract-net
rounds run by the orchestrator), leadership announcements, and fencing by term.

The JSON shapes are the Swift SDK's (`Proposal`, `Vote`, `Bid`, `Leadership` in ColonyWire).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

# Announcements of a group's leader: `coordination.leader.GROUP`, payload a Leadership; renewals
# of an unchanged one come on `coordination.lease.GROUP` (the same payload, a fresher expiry).
LEADERSHIP_PREFIX = "coordination.leader."
RENEWAL_PREFIX = "coordination.lease."


@dataclass
class Proposal:
    """What a consensus round asks voters, or an auction asks bidders: the round's id, the
    group, and the step's params."""
    round: str
    group: str
    proposal: Any

    @classmethod
    def from_json(cls, value: Any) -> "Proposal":
        if not isinstance(value, dict) or "proposal" not in value:
            from .errors import ColonyError
            raise ColonyError("bad_request", "expected a proposal: {round, group, proposal}")
        return cls(str(value.get("round", "")), str(value.get("group", "")), value["proposal"])


@dataclass
class Vote:
    """A member's vote: yes or no, an optional value it proposes, and a weight (weighted rule)."""
    yes: bool
    value: Any = None
    weight: Optional[float] = None

    def to_json(self) -> dict:
        out: dict = {"vote": "yes" if self.yes else "no"}
        if self.value is not None:
            out["value"] = self.value
        if self.weight is not None:
            out["weight"] = self.weight
        return out

    @staticmethod
    def coerce(answer: Any) -> dict:
        """A handler may return a Vote, a bool, "yes"/"no", or the JSON shape itself."""
        if isinstance(answer, Vote):
            return answer.to_json()
        if isinstance(answer, bool):
            return Vote(answer).to_json()
        if answer in ("yes", "no"):
            return {"vote": answer}
        if isinstance(answer, dict) and answer.get("vote") in ("yes", "no"):
            return answer
        from .errors import ColonyError
        raise ColonyError("handler_failed", f"a vote is a Vote, a bool, 'yes' or 'no', not {answer!r}")


@dataclass
class Bid:
    """A bid in a contract-net auction (its cost; the lowest wins by default) or a refusal."""
    cost: Optional[float] = None
    fields: Any = None
    refuse: bool = False
    reason: Optional[str] = None

    @classmethod
    def refusal(cls, reason: str = "") -> "Bid":
        return cls(refuse=True, reason=reason or None)

    def to_json(self) -> dict:
        if self.refuse:
            return {"refuse": True, **({"reason": self.reason} if self.reason else {})}
        out: dict = {"cost": self.cost}
        if self.fields is not None:
            out["fields"] = self.fields
        return out

    @staticmethod
    def coerce(answer: Any) -> dict:
        """A handler may return a Bid, a number (the cost), None (a refusal), or the JSON shape."""
        if isinstance(answer, Bid):
            return answer.to_json()
        if answer is None:
            return Bid.refusal().to_json()
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            return Bid(cost=float(answer)).to_json()
        if isinstance(answer, dict) and ("cost" in answer or answer.get("refuse")):
            return answer
        from .errors import ColonyError
        raise ColonyError("handler_failed", f"a bid is a Bid, a cost or None, not {answer!r}")


@dataclass(frozen=True)
class LeadershipChange:
    """A change of leadership as this agent sees it: `kind` is "became" (this agent leads
    `group` under `term`), "lost" (it led and `leader` leads now) or "follows" (another leads)."""
    kind: str
    group: str
    term: int
    leader: Optional[str] = None


@dataclass
class Leadership:
    group: str
    leader: Optional[str]
    term: int
    expires_at_ms: int = 0

    @classmethod
    def from_json(cls, value: dict) -> "Leadership":
        return cls(str(value["group"]), value.get("leader"), _bounded(value["term"]), _bounded(value.get("expiresAtMilliseconds", 0)))


class LeadershipTracker:
    """The newest leadership of each group this agent has heard of. Terms only grow: an older
    announcement changes nothing."""

    MAX_GROUPS = 10_000

    def __init__(self, instance: str):
        self.instance = instance
        self.latest: dict[str, Leadership] = {}

    def note(self, announced: Leadership) -> Optional[LeadershipChange]:
        previous = self.latest.get(announced.group)
        if previous is not None and announced.term < previous.term:
            return None
        if previous is None and len(self.latest) >= self.MAX_GROUPS:
            return None
        self.latest[announced.group] = announced
        if previous is not None and previous.term == announced.term and previous.leader == announced.leader:
            return None
        if announced.leader == self.instance:
            return LeadershipChange("became", announced.group, announced.term, announced.leader)
        if previous is not None and previous.leader == self.instance:
            return LeadershipChange("lost", announced.group, announced.term, announced.leader)
        return LeadershipChange("follows", announced.group, announced.term, announced.leader)

    def is_stale(self, term: int, group: str) -> bool:
        known = self.latest.get(group)
        return known is not None and term < known.term


class LeaseClock:
    """What the agent can know of the orchestrator's clock (the Swift SDK's LeaseClock): each
    stamped message gives local monotonic ms − remote ms = offset + delay, delays are never
    negative, so the smallest value bounds the offset from above. A lease has lapsed for the
    agent only when it certainly has, even if the agent was stopped with the request queued."""

    DRIFT_ALLOWANCE = 0.001          # 1,000 ppm
    WINDOW_SECONDS = 60.0
    CAPACITY = 64
    PLAUSIBLE_SKEW_MS = 3_600_000    # stamps further from our wall clock are not believed

    def __init__(self):
        self.samples: list[tuple[int, float]] = []  # (offset ms, local monotonic s)

    def note(self, sent_at_ms: int, now: Optional[float] = None, wall_ms: Optional[int] = None) -> None:
        now = time.monotonic() if now is None else now
        wall_ms = int(time.time() * 1000) if wall_ms is None else wall_ms
        if abs(sent_at_ms - wall_ms) > self.PLAUSIBLE_SKEW_MS:
            return
        self.samples = [sample for sample in self.samples if now - sample[1] <= self.WINDOW_SECONDS]
        self.samples.append((int(now * 1000) - sent_at_ms, now))
        del self.samples[:-self.CAPACITY]

    def lapsed(self, expiry_ms: int, now: Optional[float] = None) -> Optional[int]:
        """How long ago (ms) a lease ending at `expiry_ms` certainly ended; None if it may not have."""
        now = time.monotonic() if now is None else now
        if not self.samples:
            return None
        local = int(now * 1000)
        remote = max(local - offset - int((now - at) * 1000 * self.DRIFT_ALLOWANCE) - 1 for offset, at in self.samples)
        return remote - expiry_ms if remote > expiry_ms else None


def _bounded(value: Any) -> int:
    """A peer's number as a term or time: an integer in 0...2^64−1, else an error (never a trap)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, float):
        value = int(max(0.0, min(value, 1.8e19)))
    return max(0, min(value, 2 ** 64 - 1))
