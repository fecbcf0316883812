"""Derives the stack-neutral Wiring from a synthesized CloudFormation template, and from nothing else.

Functions are found by their `waybill:function` Metadata; everything else by following Ref/GetAtt from
API Gateway methods, the authorizer, event source mappings, state machines and EventBridge rules back to
those functions. Queues and state machines are named by their `waybill:*` Metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.infra.wiring import Wiring

FUNCTION = "waybill:function"
QUEUE = "waybill:queue"
TABLE = "waybill:table"
STATE_MACHINE = "waybill:state_machine"

Resources = dict[str, dict[str, Any]]


def references(value: Any) -> Iterator[str]:
    """Logical ids that `value` refers to through Ref, Fn::GetAtt or ${Name} in Fn::Sub."""
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            yield value["Ref"]
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list):
            yield get_att[0]
        elif isinstance(get_att, str):
            yield get_att.split(".")[0]
        sub = value.get("Fn::Sub")
        if sub is not None:
            text = sub if isinstance(sub, str) else sub[0]
            yield from (part.split("}")[0].split(".")[0] for part in text.split("${")[1:])
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def _of_type(resources: Resources, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    return ((lid, r) for lid, r in resources.items() if r["Type"] == resource_type)


def _named(resources: Resources, key: str) -> dict[str, str]:
    return {lid: r["Metadata"][key] for lid, r in resources.items() if key in r.get("Metadata", {})}


def _function_of(value: Any, functions: dict[str, str], what: str) -> str:
    found = {functions[lid] for lid in references(value) if lid in functions}
    if len(found) != 1:
        raise ValueError(f"{what}: expected one Waybill function, found {sorted(found)}")
    return found.pop()


def _paths(resources: Resources) -> dict[str, str]:
    """API Gateway resource logical id -> its full path, following ParentId up to the root."""
    parents = {lid: r["Properties"] for lid, r in _of_type(resources, "AWS::ApiGateway::Resource")}

    def path(lid: str) -> str:
        props = parents[lid]
        parent = props["ParentId"]
        parent_ids = [p for p in references(parent) if p in parents]
        prefix = path(parent_ids[0]) if parent_ids else ""  # else GetAtt <RestApi>.RootResourceId
        return f"{prefix}/{props['PathPart']}"

    return {lid: path(lid) for lid in parents}


def _routes(resources: Resources, functions: dict[str, str]) -> tuple[set[tuple[str, str, str]], set[Any]]:
    paths = _paths(resources)
    authorizers = {lid for lid, _ in _of_type(resources, "AWS::ApiGateway::Authorizer")}
    routes, authorized = set(), set()
    for lid, method in _of_type(resources, "AWS::ApiGateway::Method"):
        props = method["Properties"]
        integration = props.get("Integration", {})
        if integration.get("Type") == "MOCK":  # e.g. CORS preflight: no function behind it
            continue
        resource = [p for p in references(props["ResourceId"]) if p in paths]
        path = paths[resource[0]] if resource else "/"
        fn = _function_of(integration.get("Uri"), functions, f"method {lid}")
        routes.add((props["HttpMethod"], path, fn))
        uses_authorizer = any(a in authorizers for a in references(props.get("AuthorizerId")))
        if props.get("AuthorizationType") == "CUSTOM" and uses_authorizer:
            authorized.add((props["HttpMethod"], path))
    return routes, authorized


def _authorizer(resources: Resources, functions: dict[str, str]) -> str | None:
    found = [
        _function_of(r["Properties"]["AuthorizerUri"], functions, f"authorizer {lid}")
        for lid, r in _of_type(resources, "AWS::ApiGateway::Authorizer")
    ]
    if len(found) > 1:
        raise ValueError(f"more than one authorizer: {found}")
    return found[0] if found else None


def _queue_triggers(resources: Resources, functions: dict[str, str]) -> set[tuple[str, str]]:
    queues = _named(resources, QUEUE)
    triggers = set()
    for lid, mapping in _of_type(resources, "AWS::Lambda::EventSourceMapping"):
        props = mapping["Properties"]
        queue = [queues[q] for q in references(props.get("EventSourceArn")) if q in queues]
        if queue:
            triggers.add((queue[0], _function_of(props["FunctionName"], functions, f"mapping {lid}")))
    return triggers


def _stream_triggers(resources: Resources, functions: dict[str, str]) -> set[tuple[str, str]]:
    tables = _named(resources, TABLE)
    triggers = set()
    for lid, mapping in _of_type(resources, "AWS::Lambda::EventSourceMapping"):
        props = mapping["Properties"]
        table = [tables[t] for t in references(props.get("EventSourceArn")) if t in tables]
        if table:
            triggers.add((table[0], _function_of(props["FunctionName"], functions, f"mapping {lid}")))
    return triggers


def _task_functions(resources: Resources, functions: dict[str, str]) -> set[tuple[str, str]]:
    tasks = set()
    for lid, name in _named(resources, STATE_MACHINE).items():
        props = resources[lid]["Properties"]
        definition = props.get("DefinitionString")
        for placeholder, value in props.get("DefinitionSubstitutions", {}).items():
            # With an inline definition, count only placeholders it uses; a file definition (an S3
            # asset) is not in the template, so its substitutions stand for it.
            if definition is None or f"${{{placeholder}}}" in str(definition):
                tasks.add((name, _function_of(value, functions, f"{lid} {placeholder}")))
        tasks |= {(name, functions[r]) for r in references(definition) if r in functions}
    return tasks


def _schedules(resources: Resources, functions: dict[str, str]) -> set[tuple[str, str]]:
    schedules = set()
    for _, rule in _of_type(resources, "AWS::Events::Rule"):
        props = rule["Properties"]
        if "ScheduleExpression" not in props:
            continue
        for target in props.get("Targets", []):
            fns = {functions[r] for r in references(target.get("Arn")) if r in functions}
            schedules |= {(props["ScheduleExpression"], fn) for fn in fns}
    return schedules


def wiring_from_template(template: dict[str, Any]) -> Wiring:
    resources: Resources = template["Resources"]
    functions = {
        lid: name
        for lid, name in _named(resources, FUNCTION).items()
        if resources[lid]["Type"] == "AWS::Lambda::Function"
    }
    routes, authorized = _routes(resources, functions)
    environment = {
        name: frozenset(resources[lid]["Properties"].get("Environment", {}).get("Variables", {}))
        for lid, name in functions.items()
    }
    return Wiring(
        functions=frozenset(functions.values()),
        routes=frozenset(routes),
        authorized_routes=frozenset(authorized),
        authorizer=_authorizer(resources, functions),
        queue_triggers=frozenset(_queue_triggers(resources, functions)),
        task_functions=frozenset(_task_functions(resources, functions)),
        schedules=frozenset(_schedules(resources, functions)),
        stream_triggers=frozenset(_stream_triggers(resources, functions)),
        environment=environment,
    )
