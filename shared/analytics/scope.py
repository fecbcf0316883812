"""What a report is run over: the orders captured in [from, to] (UTC days), optionally of one channel
or touching one node, with every fact of those orders, one row per fact id.

The report files read a relation `facts`; this module adds it as the first CTE, over the stored
rows (`fact_rows`, partitioned by the hour they arrived, `dt` = 'yyyy/MM/dd/HH'). The same text
runs on Athena, and on DuckDB after sqlglot transpiles it. Values become SQL literals through
sqlglot, never by pasting strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

FACT_ROWS = "fact_rows"
# Later events (delivery, returns, refunds) of an order are read from this long after its range.
FOLLOW_UP = timedelta(days=120)
MAX_RANGE = timedelta(days=92)


@dataclass(frozen=True)
class Scope:
    from_day: date
    to_day: date
    channel: str | None = None
    node_id: str | None = None


def _lit(value: str) -> str:
    from sqlglot import exp  # imported when a report runs: the API's OpenAPI document needs none of it

    return exp.Literal.string(value).sql("trino")


def scope_cte(scope: Scope | None, table: str = FACT_ROWS) -> str:
    if scope is None:  # every stored fact
        return _one_per_fact(table, "")
    first = _lit(scope.from_day.strftime("%Y/%m/%d"))
    last = _lit((scope.to_day + FOLLOW_UP).strftime("%Y/%m/%d/99"))
    # a fact can arrive in the hour after it happened: the cohort's partitions run a day longer
    cohort_end = _lit((scope.to_day + timedelta(days=1)).strftime("%Y/%m/%d/99"))
    start = _lit(f"{scope.from_day.isoformat()} 00:00:00")
    end = _lit(f"{(scope.to_day + timedelta(days=1)).isoformat()} 00:00:00")
    # every value below went through _lit (quoted by sqlglot); table names are this module's own
    cohort = (
        f"SELECT c.order_id FROM {table} AS c WHERE c.event_type = 'captured' AND c.dt >= {first} "
        f"AND c.dt <= {cohort_end} AND c.occurred_at >= TIMESTAMP {start} AND c.occurred_at < TIMESTAMP {end}"
    )
    if scope.channel is not None:
        cohort += f" AND c.channel = {_lit(scope.channel)}"
    where = f"r.dt >= {first} AND r.dt <= {last} AND r.order_id IN ({cohort})"
    if scope.node_id is not None:
        where += (
            f" AND r.order_id IN (SELECT n.order_id FROM {table} AS n WHERE n.node_id = {_lit(scope.node_id)}"
            f" AND n.dt >= {first} AND n.dt <= {last})"
        )
    return _one_per_fact(table, where)


def _one_per_fact(table: str, where: str) -> str:
    # a redelivered stream record or a second backfill stores a fact again: keep one row per id
    condition = f" WHERE {where}" if where else ""
    return (
        "SELECT * FROM (SELECT r.*, row_number() OVER (PARTITION BY r.fact_id ORDER BY r.dt) AS copy_no "
        f"FROM {table} AS r{condition}) AS d WHERE d.copy_no = 1"
    )


def all_facts(sql: str, table: str = FACT_ROWS) -> str:
    """The report over every stored fact (Athena's named queries)."""
    return scoped(sql, None, table)


def scoped(sql: str, scope: Scope | None, table: str = FACT_ROWS) -> str:
    """The report's SQL with `facts` defined as the scope (Trino dialect)."""
    import sqlglot
    from sqlglot import exp

    query = sqlglot.parse_one(sql, read="trino")
    cte = exp.CTE(
        this=sqlglot.parse_one(scope_cte(scope, table), read="trino"),
        alias=exp.TableAlias(this=exp.to_identifier("facts")),
    )
    with_ = query.args.get("with_")
    if with_ is None:
        query.set("with_", exp.With(expressions=[cte]))
    else:
        with_.expressions.insert(0, cte)
    return query.sql("trino")


def to_duckdb(sql: str) -> str:
    import sqlglot

    return sqlglot.transpile(sql, read="trino", write="duckdb")[0]
