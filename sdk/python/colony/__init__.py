"""Colony's Python SDK: agents and clients on the Colony bus.

The wire formats live in `colony.header` (the Colony header frame) and `colony.mdp` (the
Majordomo frames around it); both are checked against the shared vectors in docs/vectors/.
"""
from .header import ColonyHeader, HeaderError, Status

__all__ = ["ColonyHeader", "HeaderError", "Status"]
