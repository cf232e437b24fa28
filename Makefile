# swift-clip: build, test, demo and benchmarks.
#
#   make demo    release build, then `clip demo`: generate a shapes dataset, train a small CLIP on it for a
#                few minutes, classify and retrieve held-out images; then index, search and dedup them
#                with `clip index` / `clip search` / `clip dedup`
#   make test    system packages, then the whole test suite (beside a PostgreSQL server it starts)
#   make bench   release build, our kernels beside numpy / PyTorch (needs python3 with numpy), and search
#                beside faiss-cpu and a Python indexer, `clip serve` beside FastAPI under wrk (PYTHON=venv/bin/python
#                with faiss-cpu, open_clip_torch, fastapi, uvicorn; Debian's wrk), and the PostgreSQL index store
#                beside the folder store on a server it starts
#   make examples  build Examples/ (a package that depends on this one by path) and run it on a test model
#   make fuzz    build the libFuzzer targets of Fuzz/ with sanitizers and run each for FUZZ_SECONDS (default 60)
#   make api-check  schemathesis (PyPI) against `clip serve`'s /openapi.json for API_CHECK_SECONDS (default 60)

SWIFT ?= swift
# The search benchmark's peers (faiss-cpu, open_clip with torchvision) may live in a virtual environment.
PYTHON ?= python3
UNAME := $(shell uname -s)

# Release builds of our own binaries target this machine's vector unit: code generation, not flags,
# decides kernel speed (see shared notes). Package.swift stays free of unsafe flags.
ifeq ($(UNAME),Linux)
  ifneq ($(shell grep -m1 -ow avx512f /proc/cpuinfo 2>/dev/null),)
    TARGET_CPU ?= skylake-avx512
  else ifneq ($(shell grep -m1 -ow avx2 /proc/cpuinfo 2>/dev/null),)
    TARGET_CPU ?= haswell
  endif
endif
RELEASE := -c release $(if $(TARGET_CPU),-Xswiftc -target-cpu -Xswiftc $(TARGET_CPU))

APT_PACKAGES := libopenblas-dev libdnnl-dev zlib1g-dev libturbojpeg0-dev libpng-dev libwebp-dev libheif-dev libssl-dev libsqlite3-dev libopenmpi-dev openmpi-bin pkg-config
# The tests also drive the web page of `clip serve` in a headless browser, and install PyPI's pgserver
# (PostgreSQL with pgvector) into a virtual environment.
TEST_APT_PACKAGES := chromium python3-venv
BREW_PACKAGES := jpeg-turbo libpng webp libheif

.PHONY: demo test build release bench examples fuzz api-check deps test-deps install-packages clean

demo: deps release
	.build/release/clip doctor
	.build/release/clip demo --output-dir demo-run
	@echo "== Search: index the held-out images with the model just trained, search them and find near-duplicates."
	@echo "== The same commands work on your own folders with a pretrained model (--model ViT-B-32:openai)."
	@model=$$(ls -d demo-run/run/checkpoints/step_* | tail -1); set -x; \
	.build/release/clip index --model $$model --index demo-run/index --exclude 'train_*' demo-run/data/images && \
	.build/release/clip search --index demo-run/index --top 3 "a red circle." && \
	.build/release/clip search --index demo-run/index --top 3 "two blue squares." - "blue" + "green" && \
	.build/release/clip dedup --index demo-run/index --threshold 0.9999 --top 3
	@echo "== Serve it over HTTP with a web page: .build/release/clip serve --index demo-run/index, then open http://127.0.0.1:8080/?q=a+red+circle"

# The tests run beside a PostgreSQL 16 server with pgvector that Scripts/with_postgres.sh starts and stops.
test: test-deps
	$(SWIFT) build --build-tests
	Scripts/with_postgres.sh $(SWIFT) test

api-check: deps
	$(SWIFT) build --product clip
	Scripts/check_api.sh .build/debug/clip

examples: deps
	$(SWIFT) build --package-path Examples
	Examples/.build/debug/EmbedAndCompare Tests/CLIPEvaluationTests/Fixtures/tiny_open_clip \
	  Tests/CLIPImageTests/Fixtures/images/odd_97x61.png

# Fuzz targets: their own package and build folder, every module (Swift and C) instrumented.
FUZZ_BUILD := $(SWIFT) build --package-path Fuzz --scratch-path Fuzz/.build-fuzz --sanitize=fuzzer --sanitize=address \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=fuzzer-no-link,address

fuzz: deps
	python3 Scripts/make_fuzz_corpus.py
	SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)
	Scripts/run_fuzzers.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE) --product clip

bench: deps
	$(SWIFT) build $(RELEASE) --product clip-kernel-bench
	$(SWIFT) build $(RELEASE) --product clip
	python3 Benchmarks/kernels.py --binary .build/release/clip-kernel-bench
	python3 Benchmarks/tokenizer.py --binary .build/release/clip-kernel-bench
	python3 Benchmarks/image.py --binary .build/release/clip-kernel-bench
	python3 Benchmarks/model.py --binary .build/release/clip
	python3 Benchmarks/siglip.py --binary .build/release/clip
	python3 Benchmarks/precision.py --binary .build/release/clip
	python3 Benchmarks/train.py --binary .build/release/clip
	python3 Benchmarks/train.py --binary .build/release/clip --precision amp_bf16
	python3 Benchmarks/distributed.py --binary .build/release/clip
	$(SWIFT) build $(RELEASE) --product clip-search-bench
	$(PYTHON) Benchmarks/search.py --clip .build/release/clip --search-bench .build/release/clip-search-bench
	Scripts/with_postgres.sh $(PYTHON) Benchmarks/postgres_store.py --search-bench .build/release/clip-search-bench
	$(PYTHON) Benchmarks/serve.py --clip .build/release/clip --search-bench .build/release/clip-search-bench

# System packages: installed with apt-get on Debian/Ubuntu; on macOS, Accelerate ships with the
# system and Homebrew packages are listed when a later target needs them.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES) $(TEST_APT_PACKAGES)"

install-packages:
ifeq ($(UNAME),Linux)
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
else ifeq ($(UNAME),Darwin)
	@if [ -n "$(BREW_PACKAGES)" ]; then \
	  for p in $(BREW_PACKAGES); do brew list $$p >/dev/null 2>&1 || echo "needed: brew install $$p"; done; \
	fi
endif

clean:
	$(SWIFT) package clean
