"""What the operations actions act through (shared/usecases/act_on_order.py), apart from the actions:
the operations function builds these at init and loads the actions' use cases with the first action."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.ports import Clock, FulfilmentRequests, Inventory, OrderRepository, RefundLedger, TaskSignals, Workflow
from shared.records import record

if TYPE_CHECKING:
    from shared.usecases.ops_actions import FlowPorts


@record
class ActionPorts:
    orders: OrderRepository
    workflow: Workflow
    refunds_workflow: Workflow
    returns_workflow: Workflow
    signals: TaskSignals
    requests: FulfilmentRequests
    inventory: Inventory
    ledger: RefundLedger
    clock: Clock

    @property
    def flow(self) -> FlowPorts:
        from shared.usecases.ops_actions import FlowPorts

        return FlowPorts(self.orders, self.workflow, self.signals, self.requests, self.clock)
