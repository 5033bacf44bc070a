#!/usr/bin/env python3
"""The warehouse: a Python agent that takes part in the `place_order` workflow next to the Swift
`math` agent (configs/workflows.yaml).

- `warehouse.reserve` holds stock for an order; it fails with `out_of_stock` (the workflow does not
  retry that code and compensates with `warehouse.release`), and with `shelf_locked` on the first
  attempt of a contended order (the workflow retries it).
- `warehouse.release` gives a reservation back (the compensation).
- `warehouse.ship` ships what was reserved and announces `orders.shipped`.
- An event handler on `orders.` packs shipped orders; the failure gate skips it for runs that
  failed or were cancelled.

Stock comes from WAREHOUSE_STOCK (JSON, default {"widget": 100, "gadget": 3}).
"""
import json
import os
from dataclasses import dataclass

from colony import Agent, ColonyError

agent = Agent("warehouse", concurrency=8)
stock: dict[str, int] = json.loads(os.environ.get("WAREHOUSE_STOCK", '{"widget": 100, "gadget": 3}'))


@dataclass
class Order:
    item: str
    qty: int
    contended: bool = False


@dataclass
class Release:
    item: str
    qty: int
    reason: str = ""


@dataclass
class Shipment:
    reservation: str
    total: float


@agent.capability("warehouse.reserve")
async def reserve(order: Order, ctx) -> dict:
    """Holds stock for an order (out_of_stock when there is not enough)."""
    if order.qty <= 0:
        raise ColonyError("bad_quantity", f"qty must be positive, not {order.qty}")
    if order.contended and ctx.attempt == 1:
        raise ColonyError("shelf_locked", "the shelf is being counted; try again")
    available = stock.get(order.item, 0)
    if available < order.qty:
        raise ColonyError("out_of_stock", f"{order.qty} {order.item} wanted, {available} in stock")
    stock[order.item] = available - order.qty
    ctx.logger.info(f"reserved {order.qty} {order.item}")
    await ctx.publish("orders.reserved", {"item": order.item, "qty": order.qty})
    return {"reservation": f"{ctx.run_id or 'manual'}/{order.item}", "item": order.item, "qty": order.qty}


@agent.capability("warehouse.release")
async def release(request: Release, ctx) -> dict:
    """Gives reserved stock back (the compensation of a failed order)."""
    ctx.logger.info(f"releasing {request.item} ({request.reason})")
    return {"released": request.item, "qty": request.qty, "reason": request.reason}


@agent.capability("warehouse.ship")
async def ship(shipment: Shipment, ctx) -> dict:
    """Ships a reservation and announces it on orders.shipped."""
    await ctx.publish("orders.shipped", {"reservation": shipment.reservation, "total": shipment.total})
    return {"shipped": shipment.reservation, "total": shipment.total}


@agent.on("orders.", including_finished_runs=True)
async def pack(event: dict, ctx) -> None:
    ctx.logger.info(f"packing after {event}")


if __name__ == "__main__":
    agent.run()
