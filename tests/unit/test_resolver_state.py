"""The embedded stack runs API functions concurrently in one process: each invocation must resolve
its own request, although Powertools keeps the request on the resolver class."""

import json
import threading
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from devstack import resolver_state


def _event(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource": "/echo",
        "path": "/echo",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"requestId": "r", "stage": "v1", "httpMethod": "POST", "path": "/echo"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def test_two_resolvers_resolving_at_once_each_read_their_own_request() -> None:
    resolver_state.install()
    resolver_state.install()  # harmless twice
    both_inside = threading.Barrier(2, timeout=10)
    answers: dict[str, Any] = {}

    def app() -> APIGatewayRestResolver:
        api = APIGatewayRestResolver()

        @api.post("/echo")
        def echo() -> dict[str, Any]:
            before = api.current_event.json_body["who"]
            both_inside.wait()  # the other invocation has set its request by now
            return {"before": before, "after": api.current_event.json_body["who"]}

        return api

    def call(who: str) -> None:
        answers[who] = json.loads(app().resolve(_event({"who": who}), cast(LambdaContext, None))["body"])

    threads = [threading.Thread(target=call, args=(who,)) for who in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == {w: {"before": w, "after": w} for w in ("first", "second")}
