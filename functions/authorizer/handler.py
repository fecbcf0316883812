"""REST API Lambda REQUEST authorizer: a bearer API key becomes its principal, or 401."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_keys import DynamoDBKeys
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import KeysSettings
from shared.usecases.keys import resolve_key

settings = KeysSettings.from_env()
logger = masked_logger()
keys = DynamoDBKeys(client("dynamodb"), settings.keys_table)


def bearer_token(headers: dict[str, str]) -> str:
    value = next((v for k, v in (headers or {}).items() if k.lower() == "authorization"), "") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


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
