# The two commands of the README. Both install what they need on first use (scripts/setup.sh).
# `make quick` is the inner loop (lint and the tests not marked slow, about half a minute);
# `make test` runs everything, as CI does.
.PHONY: demo test quick lint setup

setup:
	@scripts/setup.sh

demo: setup
	@.venv/bin/settlefl demo

test: setup
	@scripts/test.sh

quick: setup
	@scripts/test.sh lint
	@scripts/test.sh python -m "not slow"

lint: setup
	@scripts/test.sh lint
