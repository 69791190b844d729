# The two commands of the README. Both install what they need on first use (scripts/setup.sh).
.PHONY: demo test setup

setup:
	@scripts/setup.sh

demo: setup
	@.venv/bin/settlefl demo

test: setup
	@scripts/test.sh
