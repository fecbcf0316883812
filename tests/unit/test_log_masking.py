import io
import json

from shared.logging import MASK, masked_logger
from tests.unit.builders import capture_body


def test_logs_never_carry_personal_data_in_clear():
    stream = io.StringIO()
    logger = masked_logger(service="masking-test", stream=stream)
    body = capture_body()
    logger.info("captured for ada@example.com", order=body, email="ada@example.com", phone="+1 555 0100")
    try:
        raise ValueError("bounce from ada@example.com")
    except ValueError:
        logger.exception("failed")
    out = stream.getvalue()
    for secret in ("ada@example.com", "Ada Lovelace", "+1 555 0100", "1 Main St", "73301", "Austin"):
        assert secret not in out, secret
    first = json.loads(out.splitlines()[0])
    assert first["order"]["customer"] == MASK
    assert first["order"]["lines"][0]["sku"] == "TSHIRT-M"  # non-personal data stays readable
    assert first["message"] == f"captured for {MASK}"
