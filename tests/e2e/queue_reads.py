"""Reading the exception queue (GET /v1/ops/exceptions) with the ops key, for the e2e tests."""


def queue(stack, **params):
    answer = stack.call("GET", "/v1/ops/exceptions", "ops", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def queued(stack, order_id, kind):
    """The order's entry in the queue under `kind`, read through every page of that type."""
    cursor = None
    while True:
        page = queue(stack, type=kind, limit=50, **({"cursor": cursor} if cursor else {}))
        found = [e for e in page["exceptions"] if e["order_id"] == order_id]
        if found or page["next"] is None:
            return found[0] if found else None
        cursor = page["next"]
