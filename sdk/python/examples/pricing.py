from colony import Agent, ColonyError

agent = Agent("pricing", concurrency=8)          # endpoints and CURVE keys from the environment


@agent.capability("pricing.quote")
async def quote(params: dict, ctx) -> dict:
    if params["qty"] <= 0:
        raise ColonyError("bad_quantity", "qty must be positive")   # a coded error, fails the step
    await ctx.publish("pricing.quoted", {"qty": params["qty"]})      # carries the run along
    return {"price": 101.5}


@agent.on("market.tick")
async def tick(event: dict, ctx):
    ctx.logger.info(f"tick {event}")             # logs carry agent, handler, run id


agent.run()                                         # blocks; SIGTERM/SIGINT shut down gracefully
