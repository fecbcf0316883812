"""Request limits every API function enforces, apart from the models (importing those costs cold start)."""

MAX_BODY_BYTES = 256 * 1024
