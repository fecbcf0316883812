"""The README tour's answer notation: what a documented answer accepts, and what it refuses."""

import pytest

from tests.e2e.readme_tour import Answer, tour

HTTP = "HTTP/1.1 202 ACCEPTED\r\nLocation: /v1/orders/ord_1\r\n\r\n"


@pytest.mark.parametrize(
    ("answer", "output"),
    [
        ('{"status": "RECEIVED"}', '{"status": "RECEIVED", "order_id": "ord_1"}'),
        ('{"id": "ord_..."}', '{"id": "ord_abc"}'),
        ('{"rma": "ord_...-R1"}', '{"rma": "ord_abc-R1"}'),
        ('{"any": "..."}', '{"any": null}'),
        ('["/a", "..."]', '["/b", "/a"]'),
        ("[1900, 4300]", "[1900, 4300]"),
        ('{"refunds": []}', '{"refunds": []}'),
        ('"PICKED"', '"ACCEPTED"\n"PICKED"'),  # the last value a loop printed
        ('HTTP 202 {"status": "RECEIVED"}', HTTP + '{"status": "RECEIVED"}'),
        ("contains Location: /v1/orders/ord_", HTTP),
    ],
)
def test_an_answer_accepts_what_it_documents(answer, output):
    assert Answer.parse(answer).problem(output) is None


@pytest.mark.parametrize(
    ("answer", "output"),
    [
        ('{"status": "RECEIVED"}', '{"status": "HELD"}'),
        ('{"status": "RECEIVED"}', '{"state": "RECEIVED"}'),
        ('{"id": "ord_..."}', '{"id": "rf_abc"}'),
        ('["/a", "..."]', '["/b"]'),
        ("[1900, 4300]", "[4300, 1900]"),
        ('{"refunds": []}', '{"refunds": [{"amount": 1}]}'),
        ('{"n": 1}', '{"n": true}'),
        ('HTTP 202 {"status": "RECEIVED"}', HTTP.replace("202 ACCEPTED", "409 CONFLICT") + '{"status": "RECEIVED"}'),
        ('{"status": "RECEIVED"}', "no JSON at all"),
        ("contains Idempotent-Replayed: true", HTTP),
    ],
)
def test_an_answer_refuses_anything_else(answer, output):
    assert Answer.parse(answer).problem(output) is not None


def test_steps_end_at_answers_and_blank_lines_and_a_make_dev_block_starts_the_stack():
    readme = "\n".join(
        [
            "## A short tour",
            "```sh",
            "WAYBILL_SIMULATORS=off make dev   # a comment",
            "```",
            "```sh",
            "A=1",
            "",
            "curl -s x \\",
            "  | jq .a",
            '# expect within 30s: {"a":',
            "#   1}",
            "echo done",
            "# expect: contains done",
            "```",
            "## Next",
            "```sh",
            "not part of the tour",
            "```",
        ]
    )
    start, block = tour(readme)
    assert start.start_env == {"WAYBILL_SIMULATORS": "off"}
    assert [s.script for s in block.steps] == ["A=1", "curl -s x \\\n  | jq .a", "echo done"]
    assert [len(s.answers) for s in block.steps] == [0, 1, 1]
    assert block.steps[1].within_s == 30
    assert block.steps[1].answers[0].json == {"a": 1}
