# The two commands: `make run` (Waybill's main job on the embedded local stack) and `make test`.
.PHONY: run test dev setup synth lint clean fuzz bench bench-analytics soak screenshots

run: setup
	.venv/bin/waybill demo

test:
	bash scripts/test.sh

dev: setup
	.venv/bin/waybill dev

setup:
	bash scripts/bootstrap.sh

synth: setup
	npm run --silent cdk -- synth --quiet

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy .

# Refuses while a stack runs from this checkout: it would lose its packages and its state.
clean:
	@if [ -f .waybill/stack.lock ] && ! flock -n .waybill/stack.lock true; then \
	  echo "a Waybill stack is running from this checkout (.waybill/dev.json): stop it first" >&2; exit 1; fi
	rm -rf .venv .tools node_modules cdk.out build .waybill .mypy_cache .ruff_cache .pytest_cache .hypothesis

# A long schema-fuzzing run (schemathesis) against a fresh embedded stack; prints requests sent.
fuzz: setup
	WAYBILL_FUZZ_EXAMPLES=$${WAYBILL_FUZZ_EXAMPLES:-150} .venv/bin/pytest tests/e2e/test_fuzz_openapi.py -s -q

# The benchmarks in full (the test command runs their quick modes): cold start against a typical
# Powertools handler, and what 1,000 orders cost at AWS list prices.
bench: setup
	.venv/bin/python -m benchmarks.cold_start
	.venv/bin/python -m benchmarks.cost

# Report time on DuckDB for 10k and 100k facts (figures only; the test command runs its --quick mode).
bench-analytics: setup
	.venv/bin/python -m benchmarks.analytics_bench

# A PNG of every console page and every customer email, from the browser tests, in .waybill/screenshots/.
screenshots: setup
	bash scripts/chromium.sh
	.venv/bin/pytest tests/browser -q -s -p no:cacheprovider

# The conservation soak: 500 orders at 10% faults on a fresh embedded stack; prints the invariant
# table and fails if any count is not zero (the test command runs 20 orders).
soak: setup
	.venv/bin/python -m tests.conservation --orders $${WAYBILL_SOAK_ORDERS:-500} --fault-rate 0.1
