"""Inventory routes of HTTP API v1: nodes, stock adjustments, availability, reorder suggestions and
routing policies. Registered on the inventory function's resolver and on the OpenAPI resolver."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel

from shared import http
from shared.domain.audit import Actor
from shared.domain.inventory import StockLevel
from shared.domain.principal import Kind, Principal
from shared.domain.routing import Node, Policy
from shared.domain.values import GeoPoint, PostalAddress
from shared.ports import Clock, Inventory, NodeRegistry, Policies, RestockNotifier
from shared.schemas.audit import StampView
from shared.schemas.inventory import (
    REFERENCE_PATTERN,
    AdjustmentIn,
    AdjustmentRecord,
    AdjustmentResult,
    Availability,
    NodeIn,
    NodeList,
    NodeView,
    PolicyIn,
    PolicyView,
    ReorderSuggestions,
    ShardedStock,
    ShardMove,
    ShardView,
    StockAtNode,
    StockLayoutIn,
    StockMovement,
    StockTotals,
)
from shared.usecases import list_directory as directory
from shared.usecases.adjust_stock import adjust_stock
from shared.usecases.audited_settings import save_node, save_policy
from shared.usecases.shard_stock import Rebalanced, ShardedLevel, rebalance_shards, set_shard_count


@dataclass(frozen=True)
class InventoryPorts:
    inventory: Inventory
    nodes: NodeRegistry
    policies: Policies
    restock: RestockNotifier
    clock: Clock
    logger: Logger


NodeIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")]
SkuPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")]
ChannelPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
PageLimit = Annotated[int, Query(ge=1, le=directory.MAX_LIMIT)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=1000)]


def _json(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, model.model_dump_json(), headers=headers)


def _node_view(node: Node) -> NodeView:
    address = None
    if node.location is not None:
        postal = asdict(node.address) if node.address else {}
        address = {**postal, "lat": node.location.lat, "lon": node.location.lon}
    return NodeView.model_validate(
        {
            "node_id": node.node_id,
            "kind": node.kind,
            "name": node.name,
            "address": address,
            "ships": node.ships,
            "pickup": node.pickup,
            "handling_cost": node.handling_cost,
            "daily_capacity": node.daily_capacity,
            "updated": StampView.of(node.updated),
        }
    )


def _policy_view(policy: Policy) -> PolicyView:
    settings = {name: getattr(policy, name) for name in PolicyIn.model_fields}
    return PolicyView.model_validate({**settings, "updated": StampView.of(policy.updated)})


def _stock_view(level: StockLevel) -> StockAtNode:
    return StockAtNode(
        node_id=level.node_id,
        on_hand=level.on_hand,
        reserved=level.reserved,
        safety_stock=level.safety_stock,
        available=level.available,
        reorder_point=level.reorder_point,
        reorder_quantity=level.reorder_quantity,
        shards=level.shards,
    )


def _sharded_view(found: ShardedLevel) -> ShardedStock:
    moves = found.moves if isinstance(found, Rebalanced) else []
    return ShardedStock(
        sku=found.level.sku,
        stock=_stock_view(found.level),
        parts=[
            ShardView(shard=s.index, on_hand=s.on_hand, reserved=s.reserved, available=s.available)
            for s in found.shards
        ],
        moves=[ShardMove(source=m.source, target=m.target, units=m.units) for m in moves],
    )


def register(app: APIGatewayRestResolver) -> None:
    def ports() -> InventoryPorts:
        found: InventoryPorts = app.context["ports"]
        return found

    def principal_() -> Principal:
        found: Principal = app.context["principal"]
        return found

    def actor() -> Actor:
        return Actor.of(principal_())

    @app.put(
        "/v1/nodes/<node_id>",
        summary="Create or update a fulfilment node",
        responses={
            200: {"description": "Updated", "content": {"application/json": {"model": NodeView}}},
            201: {"description": "Created", "content": {"application/json": {"model": NodeView}}},
            **http.documented_errors(400, 401, 403, 413, 415, 422),
        },
        tags=["inventory"],
        operation_id="put_node",
    )
    def put_node(node_id: NodeIdPath, body: Annotated[NodeIn, Body()]) -> Response[Any]:
        location = GeoPoint(body.address.lat, body.address.lon) if body.address else None
        postal = body.address.model_dump(exclude={"lat", "lon"}) if body.address else {}
        node = Node(
            node_id,
            body.kind,
            location,
            body.ships,
            body.pickup,
            body.handling_cost,
            body.daily_capacity,
            name=body.name,
            address=PostalAddress(**postal) if any(postal.values()) else None,
        )
        p = ports()
        saved, created = save_node(node, actor(), nodes=p.nodes, clock=p.clock)
        p.logger.info("node saved", node_id=node_id, new_node=created, by=str(actor()))
        return _json(_node_view(saved), 201 if created else 200)

    @app.get(
        "/v1/nodes",
        summary="List fulfilment nodes, a page at a time",
        description=f"Nodes by id. `limit` 1 to {directory.MAX_LIMIT} (default {directory.DEFAULT_LIMIT}); pass "
        "`next` back as `cursor` for the next page. A cursor this listing did not give out is `400 invalid_cursor`.",
        responses={
            200: {"description": "A page of nodes", "content": {"application/json": {"model": NodeList}}},
            **http.documented_errors(401, 403, 422, codes={400: ("invalid_cursor",)}),
        },
        tags=["inventory"],
        operation_id="list_nodes",
    )
    def list_nodes(limit: PageLimit = directory.DEFAULT_LIMIT, cursor: Cursor = None) -> Response[Any]:
        nodes, after = directory.list_nodes(ports().nodes, limit, cursor)
        views = [_node_view(n).model_dump(mode="json") for n in nodes]
        return Response(200, content_types.APPLICATION_JSON, json.dumps({"nodes": views, "next": after}))

    @app.post(
        "/v1/inventory/adjustments",
        summary="Receive or adjust stock at a node",
        description="Idempotent on `reference`: the same adjustment again answers the first result with "
        "`Idempotent-Replayed: true`; a different one under the same reference is 409.",
        responses={
            200: {
                "description": "Applied (or, replayed, the first result again)",
                "content": {"application/json": {"model": AdjustmentResult}},
                "headers": {"Idempotent-Replayed": http.REPLAYED},
            },
            **http.documented_errors(
                400, 401, 403, 404, 413, 415, 422, codes={409: ("idempotency_conflict", "insufficient_stock")}
            ),
        },
        tags=["inventory"],
        operation_id="adjust_stock",
    )
    def post_adjustment(adjustment: Annotated[AdjustmentIn, Body()]) -> Response[Any]:
        principal = principal_()
        if principal.kind == Kind.WAREHOUSE and adjustment.node_id not in principal.nodes:
            return http.error(403, "forbidden", f"this warehouse key does not act for node {adjustment.node_id}")
        p = ports()
        outcome = adjust_stock(
            adjustment, actor(), inventory=p.inventory, nodes=p.nodes, notifier=p.restock, clock=p.clock
        )
        result = AdjustmentResult(
            reference=adjustment.reference,
            node_id=adjustment.node_id,
            stock=[_stock_view(x) for x in outcome.levels],
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        p.logger.info(
            "stock adjusted",
            reference=adjustment.reference,
            node_id=adjustment.node_id,
            replayed=outcome.replayed,
        )
        return _json(result, 200, headers)

    @app.get(
        "/v1/inventory/adjustments",
        summary="An applied stock adjustment: what moved, who made it, when and why",
        responses={
            200: {"description": "The adjustment", "content": {"application/json": {"model": AdjustmentRecord}}},
            **http.documented_errors(401, 403, 404, 422),
        },
        tags=["inventory"],
        operation_id="get_adjustment",
    )
    def get_adjustment(
        reference: Annotated[str, Query(pattern=REFERENCE_PATTERN, description="The adjustment's reference")],
    ) -> Response[Any]:
        found = ports().inventory.adjustment(reference)
        principal = principal_()
        # a warehouse key sees the adjustments of its own nodes only; another node's is not there for it
        if found is None or (principal.kind == Kind.WAREHOUSE and found.node_id not in principal.nodes):
            return http.error(404, "not_found", f"no adjustment {reference!r}")
        view = AdjustmentRecord(
            reference=found.reference,
            node_id=found.node_id,
            type=found.type.value if found.type else None,
            changes=[StockMovement(sku=sku, on_hand_change=n) for sku, n in found.changes],
            updated=StampView.of(found.stamp),
        )
        return _json(view)

    @app.get(
        "/v1/inventory/<sku>",
        summary="Available to promise for a sku, in total and per node",
        responses={
            200: {"description": "Availability", "content": {"application/json": {"model": Availability}}},
            **http.documented_errors(401, 403, 422),
        },
        tags=["inventory"],
        operation_id="get_availability",
    )
    def get_availability(sku: SkuPath) -> Response[Any]:
        levels = sorted(ports().inventory.stock_of(sku), key=lambda lvl: lvl.node_id)
        totals = StockTotals(
            on_hand=sum(x.on_hand for x in levels),
            reserved=sum(x.reserved for x in levels),
            safety_stock=sum(x.safety_stock for x in levels),
            available=sum(x.available for x in levels),
        )
        return _json(Availability(sku=sku, total=totals, nodes=[_stock_view(x) for x in levels]))

    @app.put(
        "/v1/inventory/<sku>",
        summary="Set how a hot sku's stock at a node is kept: its shard count, and rebalance its shards",
        description="`shards` splits the stock over more items (a flash sale's reservation rate); it only "
        "rises (409 `shards_cannot_shrink`), and the same count again changes nothing. `rebalance` evens out "
        "what the shards may promise, never changing the total; again, it moves nothing.",
        responses={
            200: {"description": "The stock and its shards", "content": {"application/json": {"model": ShardedStock}}},
            **http.documented_errors(400, 401, 403, 404, 413, 415, 422, codes={409: ("shards_cannot_shrink",)}),
        },
        tags=["inventory"],
        operation_id="put_stock_layout",
    )
    def put_stock_layout(sku: SkuPath, body: Annotated[StockLayoutIn, Body()]) -> Response[Any]:
        p = ports()
        if p.nodes.get(body.node_id) is None:
            return http.error(
                404, "not_found", f"node {body.node_id} not found; create it with PUT /v1/nodes/{body.node_id}"
            )
        found = ShardedLevel(*p.inventory.shards_of(sku, body.node_id))
        if body.shards is not None:
            found = set_shard_count(sku, body.node_id, body.shards, shards=p.inventory)
        if body.rebalance:
            found = rebalance_shards(sku, body.node_id, shards=p.inventory)
        moved = found.moved if isinstance(found, Rebalanced) else 0
        p.logger.info(
            "stock layout set", sku=sku, node_id=body.node_id, shards=found.level.shards, moved=moved, by=str(actor())
        )
        return _json(_sharded_view(found))

    @app.get(
        "/v1/reorder-suggestions",
        summary="Open purchase-order suggestions (available fell below the reorder point), a page at a time",
        description=f"By SKU, then node. `limit` 1 to {directory.MAX_LIMIT} (default {directory.DEFAULT_LIMIT}); "
        "pass `next` back as `cursor` for the next page. A cursor this listing did not give out is "
        "`400 invalid_cursor`.",
        responses={
            200: {
                "description": "A page of suggestions",
                "content": {"application/json": {"model": ReorderSuggestions}},
            },
            **http.documented_errors(401, 403, 422, codes={400: ("invalid_cursor",)}),
        },
        tags=["inventory"],
        operation_id="list_reorder_suggestions",
    )
    def get_reorder_suggestions(limit: PageLimit = directory.DEFAULT_LIMIT, cursor: Cursor = None) -> Response[Any]:
        found, after = directory.list_reorder_suggestions(ports().inventory, limit, cursor)
        return _json(ReorderSuggestions.model_validate({"suggestions": found, "next": after}))

    @app.put(
        "/v1/policies/<channel>",
        summary="Set a channel's routing policy",
        responses={
            200: {"description": "Saved, with who set it", "content": {"application/json": {"model": PolicyView}}},
            **http.documented_errors(400, 401, 403, 413, 415, 422),
        },
        tags=["inventory"],
        operation_id="put_policy",
    )
    def put_policy(channel: ChannelPath, policy: Annotated[PolicyIn, Body()]) -> Response[Any]:
        p = ports()
        saved = save_policy(channel, Policy(**policy.model_dump()), actor(), policies=p.policies, clock=p.clock)
        p.logger.info("policy saved", channel=channel, by=str(actor()))
        return _json(_policy_view(saved))

    @app.get(
        "/v1/policies/<channel>",
        summary="A channel's routing policy, with who last set it",
        responses={
            200: {"description": "The policy", "content": {"application/json": {"model": PolicyView}}},
            **http.documented_errors(401, 403, 422),
        },
        tags=["inventory"],
        operation_id="get_policy",
    )
    def get_policy(channel: ChannelPath) -> Response[Any]:
        return _json(_policy_view(ports().policies.get(channel)))
