"""Voting, bidding, leadership and fencing in the Python SDK: the pure parts with an injected
clock, and the agent against a real broker (and consensus under a real `colony up`)."""
import asyncio
import json
import sys
import time

import zmq
import zmq.asyncio

from colony import Agent, Bid, Client, ColonyHeader, Vote
from colony.coordination import Leadership, LeadershipTracker, LeaseClock, Proposal
from conftest import ROOT, serving
from test_agent import until_offered


def test_terms_only_grow_and_changes_are_named():
    tracker = LeadershipTracker("me")
    assert tracker.note(Leadership("g", "other", 2)).kind == "follows"
    assert tracker.note(Leadership("g", "me", 3)).kind == "became"
    assert tracker.note(Leadership("g", "me", 3)) is None            # the same news again
    assert tracker.note(Leadership("g", "other", 1)) is None         # an older term changes nothing
    lost = tracker.note(Leadership("g", "other", 4))
    assert (lost.kind, lost.leader, lost.term) == ("lost", "other", 4)
    assert tracker.is_stale(3, "g") and not tracker.is_stale(4, "g") and not tracker.is_stale(1, "unknown")


def test_a_lease_has_lapsed_only_when_it_certainly_has():
    clock = LeaseClock()
    assert clock.lapsed(0, now=100.0) is None                       # no sample: nothing is certain
    # Sent at remote 1_000_000 ms, received at local 100 s: offset + delay = 100_000 − 1_000_000.
    clock.note(1_000_000, now=100.0, wall_ms=1_000_000)
    assert clock.lapsed(1_000_500, now=100.4) is None                # remote now ≥ 1_000_399: not yet
    lapsed = clock.lapsed(1_000_500, now=101.0)                     # remote now ≥ 1_000_999 − drift
    assert lapsed is not None and 490 <= lapsed <= 499
    clock.note(10 ** 13, now=102.0, wall_ms=1_000_000)               # a stamp hours away is not believed
    assert len(clock.samples) == 1


def test_votes_and_bids_take_the_shapes_a_handler_returns():
    assert Vote.coerce(True) == {"vote": "yes"} and Vote.coerce("no") == {"vote": "no"}
    assert Vote.coerce(Vote(True, value=3, weight=2.0)) == {"vote": "yes", "value": 3, "weight": 2.0}
    assert Bid.coerce(4) == {"cost": 4.0} and Bid.coerce(None) == {"refuse": True}
    assert Bid.coerce(Bid.refusal("busy")) == {"refuse": True, "reason": "busy"}
    assert Proposal.from_json({"round": "r", "group": "g", "proposal": {"x": 1}}).proposal == {"x": 1}


def leader_request(endpoint, capability, group, term, lease_expires_ms=None, sent_ms=None):
    """A leader-follower request as the orchestrator sends it (group, term, lease, send time)."""
    async def ask():
        socket = zmq.asyncio.Context.instance().socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(endpoint)
        try:
            header = ColonyHeader(request_id=1, groups=[group], term=term, lease_expires_at_ms=lease_expires_ms, timestamp_ms=sent_ms,
                                  deadline_ms=int(time.time() * 1000) + 5000)
            await socket.send_multipart([b"MDPC02", b"\x01", capability.encode(), header.encode(), b"{}"])
            while True:
                frames = await asyncio.wait_for(socket.recv_multipart(), 10)
                if frames[1] == b"\x03":
                    return ColonyHeader.decode(frames[3]), frames[4:]
        finally:
            socket.close(linger=0)
    return ask()


def test_leadership_is_announced_to_handlers_and_fences_stale_terms(broker):
    async def scenario():
        agent = Agent("leader", endpoint=broker["requests"], publish_endpoint=broker["publish"], subscribe_endpoint=broker["subscribe"],
                      heartbeat=0.2, instance="leader-1", groups=["g"])
        changes = []
        served = []

        @agent.capability("lead.act")
        async def act(params, ctx):
            served.append(ctx.run_id)
            return {"acted": True}

        @agent.on_leadership
        async def changed(change):
            changes.append((change.kind, change.group, change.term, change.leader))

        async with serving(agent, Client(broker["requests"], publish_endpoint=broker["publish"])) as client:
            await until_offered(client, "lead.act")
            served.clear()
            now = int(time.time() * 1000)
            header, body = await leader_request(broker["requests"], "lead.act", "g", 5, now + 60_000, now)
            assert header.status == 0 and json.loads(body[0]) == {"acted": True}
            assert ("became", "g", 5, "leader-1") in changes          # a newer term in a request: it leads

            # Another instance is announced for term 7: the agent lost, and term 6 is stale.
            for _ in range(100):
                await client.publish("coordination.leader.g", {"group": "g", "leader": "leader-2", "term": 7,
                                                               "expiresAtMilliseconds": now + 60_000})
                await asyncio.sleep(0.05)
                if ("lost", "g", 7, "leader-2") in changes:
                    break
            assert ("lost", "g", 7, "leader-2") in changes
            header, _ = await leader_request(broker["requests"], "lead.act", "g", 6, now + 60_000, now)
            assert header.status == 1 and header.error_code == "stale_term" and "term 7" in header.error_message

            # A lease that certainly ended (by the sender's own clock) is refused too, whatever the term.
            now = int(time.time() * 1000)
            header, _ = await leader_request(broker["requests"], "lead.act", "g", 9, now - 5_000, now)
            assert header.error_code == "stale_term" and "ended" in header.error_message
            assert len(served) == 1
    asyncio.run(scenario())


def test_no_more_handlers_run_at_once_than_the_concurrency(broker):
    async def scenario():
        agent = Agent("slow", concurrency=2, endpoint=broker["requests"], publish_endpoint=broker["publish"],
                      subscribe_endpoint=broker["subscribe"], heartbeat=0.2)
        running, most = [0], [0]

        @agent.capability("slow.work")
        async def work(params, ctx):
            running[0] += 1
            most[0] = max(most[0], running[0])
            await asyncio.sleep(0.2)
            running[0] -= 1
            return params

        async with serving(agent, Client(broker["requests"])) as client:
            await until_offered(client, "slow.work")
            most[0] = 0
            answers = await asyncio.gather(*(client.request("slow.work", {"n": n}, timeout=20) for n in range(6)))
            assert [a["n"] for a in answers] == list(range(6))
            assert most[0] == 2, "two at once, never more"
    asyncio.run(scenario())


VOTERS = """
workflows:
  - name: approve
    inputs:
      amount: {type: number, default: 50}
    steps:
      - id: decide
        capability: approve.vote
        params: {amount: "${input.amount}"}
        coordination: {mode: consensus, group: approve.vote, rule: majority, electorate: 3}
        timeout: 10s
  - name: render
    steps:
      - id: render
        capability: render
        params: {ms: 1}
        coordination: {mode: auction, group: render, bid_deadline: 1s, rounds: 2}
        timeout: 20s
"""

VOTER = """
import os
from colony import Agent, Bid, Vote
agent = Agent("py-voter", concurrency=4)
limit = float(os.environ["LIMIT"])

@agent.on_vote("approve.vote")
async def vote(proposal, ctx):
    return Vote(proposal.proposal["amount"] <= limit)

@agent.on_bid("render")
async def bid(call, ctx):
    return Bid(cost=limit)

@agent.capability("render")
async def render(params, ctx):
    return {"rendered_by": ctx.instance, "cost": limit}

agent.run()
"""


def test_python_voters_and_bidders_take_part_in_the_orchestrators_rounds(colony_up, tmp_path):
    script = tmp_path / "voter.py"
    script.write_text(VOTER)
    up = colony_up(workflows=VOTERS, agents="agents:\n" + "".join(f"""
  - name: voter{n}
    command: [{sys.executable}, {script}]
    environment: {{LIMIT: "{limit}", COLONY_AGENT_INSTANCE: voter-{n}}}
""" for n, limit in ((1, 40), (2, 100), (3, 200))))
    up.wait_for("approve.vote", "render.bid")
    for _ in range(100):  # all three connected
        if up.cli("agent", "list", "--json").stdout.count('"approve.vote"') >= 3:
            break
        time.sleep(0.1)

    approved = up.cli("workflow", "run", "approve", "--input", '{"amount": 70}', "--wait", "--json")
    assert approved.returncode == 0, approved.stdout + approved.stderr
    decided = next(s for s in json.loads(approved.stdout)["steps"] if s["stepID"] == "decide")["output"]
    assert decided["decision"] == "approved", decided               # 2 of 3 say yes

    rejected = up.cli("workflow", "run", "approve", "--input", '{"amount": 150}', "--wait", "--json")
    decided = next(s for s in json.loads(rejected.stdout)["steps"] if s["stepID"] == "decide")["output"]
    assert decided["decision"] == "rejected", decided               # 1 of 3 says yes

    auction = up.cli("workflow", "run", "render", "--wait", "--json")
    assert auction.returncode == 0, auction.stdout + auction.stderr
    rendered = next(s for s in json.loads(auction.stdout)["steps"] if s["stepID"] == "render")["output"]
    assert "voter-1" in json.dumps(rendered), rendered              # the cheapest bid (40) won
