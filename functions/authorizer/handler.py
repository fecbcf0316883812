"""REST API Lambda REQUEST authorizer: a bearer API key becomes its principal, or 401."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.keys import bearer_token, resolve_key

w = Wiring("authorizer")
logger = w.logger
keys = w.keys()


@event_source(data_class=APIGatewayAuthorizerRequestEvent)
@logger.inject_lambda_context(clear_state=True)
def handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict[str, Any]:
    principal = resolve_key(keys, bearer_token(event.headers))
    if principal is None:
        logger.info("refused an unknown, revoked or missing key")
        # API Gateway turns exactly this message into a 401 (the UNAUTHORIZED gateway response).
        raise Exception("Unauthorized")
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=principal.principal_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        # Cached per key for the whole API: handlers, not the policy, decide what a kind may call.
        context={"kind": principal.kind.value, "name": principal.name, "nodes": ",".join(principal.nodes)},
    )
    policy.allow_all_routes()
    return policy.asdict()
