"""Work moto repeats on every request that the embedded stack does once (local only; what moto
answers is unchanged). Measured with a sampling profiler on the reservations benchmark, these were
about a sixth of the stack's CPU:

- Step Functions builds a new boto3 client for every Lambda task it runs: one client per server
  port, region and service is kept instead (boto3 clients are safe to share between threads).
- Step Functions parses each JSONPath (InputPath, ResultPath, `.$` parameters) with a new parser
  every time a state runs: each distinct path is parsed once.
- The server finds the backend for a request's host by listing moto's package directory on every
  request: each host's backend is found once.
- Step Functions parses the state machine's definition (ANTLR) at the start of every execution,
  about a sixth of the stack's CPU once the rest was lighter: each definition's parse tree is kept
  and only turned into fresh evaluation components per execution (the tree is only read).
- DynamoDB parses a condition expression twice for every conditional write (once to check the
  names it uses, once to evaluate it), with a parser that rebuilds its token list at each
  parenthesis: about a tenth of the stack's CPU. Each (expression, names) is parsed once; each
  request still gets its own condition, built with its own values.
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import Any

from botocore.client import BaseClient
from moto.core.models import botocore_stubber
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import boto_client, json_path

_applied = False
_clients: dict[tuple[bool, str, str, str], BaseClient] = {}
_clients_lock = threading.Lock()
_new_client = boto_client.boto_client_for


def _shared_client(region: str, service: str, state_credentials: Any = None) -> BaseClient:
    with _clients_lock:
        # what moto's own function decides the endpoint by (in-process mock or this server's port)
        key = (botocore_stubber.enabled, moto_server_port(), region, service)
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _new_client(region, service, state_credentials)
        return client


def _backend_once(original: Any) -> Any:
    found: dict[str | None, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in found:  # called under the dispatcher's own lock
            found[host] = original(self, host)
        return found[host]

    return get_backend_for_host


_parse_definition = AmazonStateLanguageParser.parse


@functools.lru_cache(maxsize=64)
def _tree(definition: str) -> Any:
    return _parse_definition(definition)[1]  # a definition that does not parse raises: nothing kept


def _parse_once(definition: str) -> tuple[EvalComponent, Any]:
    tree = _tree(definition)
    return Preprocessor().visit(tree), tree  # components of its own for each execution


_parse_condition = ConditionExpressionParser.parse
_Node = ConditionExpressionParser.Node
_VALUE = ConditionExpressionParser.Kind.EXPRESSION_ATTRIBUTE_VALUE
# (expression, names) -> its syntax tree, the names and the value placeholders it uses
_conditions: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Any, list[str], list[str]]] = {}


def _condition_tree(parser: ConditionExpressionParser) -> Any:
    """moto's own steps of ConditionExpressionParser.parse, up to the syntax tree (it raises alike)."""
    nodes = parser._lex_condition_expression()
    nodes = parser._parse_paths(nodes)
    nodes = parser._apply_functions(nodes)
    nodes = parser._apply_comparator(nodes)
    nodes = parser._apply_in(nodes)
    nodes = parser._apply_between(nodes)
    nodes = parser._apply_parens_and_booleans(nodes)
    node = nodes[0]
    parser._assert_no_redundant_parentheses(node)
    return node


def _with_values(node: Any, values: dict[str, Any]) -> Any:
    if node.kind == _VALUE:
        return node._replace(value=values[node.text])
    if not node.children:
        return node
    return node._replace(children=[_with_values(child, values) for child in node.children])


def _parse_condition_once(self: ConditionExpressionParser) -> Any:
    if not self.condition_expression:
        return _parse_condition(self)
    key = (self.condition_expression, tuple(sorted((self.expression_attribute_names or {}).items())))
    kept = _conditions.get(key)
    if kept is None:
        node = _condition_tree(self)
        kept = (node, self._find_literals(node), self._find_expr_attr_values(node))
        if len(_conditions) >= 4096:
            _conditions.clear()
        _conditions[key] = kept
    node, names, placeholders = kept
    values = self.expression_attribute_values or {}
    if any(p not in values for p in placeholders):
        return _parse_condition(self)  # moto's own answer to a value the request does not give
    self.expr_attr_names_found.extend(names)
    self.expr_attr_values_found.extend(placeholders)
    return self._make_op_condition(_with_values(node, values))


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    # every module that imported boto_client_for by name (the Lambda tasks' among them)
    lambda_eval_utils.boto_client_for = _shared_client  # type: ignore[attr-defined]
    for module in list(sys.modules.values()):
        if getattr(module, "boto_client_for", None) is _new_client:
            module.boto_client_for = _shared_client  # type: ignore[attr-defined]
    json_path.parse = functools.lru_cache(maxsize=4096)(json_path.parse)  # type: ignore[attr-defined]
    result_path.parse = functools.lru_cache(maxsize=4096)(result_path.parse)  # type: ignore[attr-defined]
    AmazonStateLanguageParser.parse = staticmethod(_parse_once)  # type: ignore[method-assign]
    ConditionExpressionParser.parse = _parse_condition_once  # type: ignore[method-assign]
    original = DomainDispatcherApplication.get_backend_for_host
    DomainDispatcherApplication.get_backend_for_host = _backend_once(original)  # type: ignore[method-assign]
