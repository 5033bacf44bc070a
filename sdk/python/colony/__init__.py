"""Colony's Python SDK: agents and clients on the Colony bus.

    from colony import Agent, ColonyError, Client

The wire formats live in `colony.header` (the Colony header frame) and `colony.mdp` (the
Majordomo frames around it); the header is checked against the shared vectors in docs/vectors/.
"""
from .agent import Agent, Context
from .client import Client
from .coordination import Bid, LeadershipChange, Proposal, Vote
from .errors import ColonyError, NoAgentError, TimeoutError
from .header import ColonyHeader, HeaderError, Status

__all__ = ["Agent", "Context", "Client", "Proposal", "Vote", "Bid", "LeadershipChange", "ColonyError", "NoAgentError", "TimeoutError", "ColonyHeader", "HeaderError", "Status"]
