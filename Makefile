# The README's two commands, `make demo` and `make test`, and their steps.
#   make deps    install the Debian packages that are missing (apt-get, via sudo when not root)
#   make build   configure and build into build/ (Ninja when present); build-tool: the vltune program only
#   make test    deps + build + the default test run (everything but the `slow` label)
#   make demo    deps + build-tool + the quickstart: LoRA vs DoRA vs dora_half on the shipped base (recipes/quickstart.yaml)

BUILD_DIR ?= build
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
JOBS ?= $(shell nproc)
VLTUNE := $(BUILD_DIR)/cli/vltune

# Build tools, LibTorch (CPU) with OpenBLAS, and the libraries vltune links; ffmpeg and chromium (renders the HTML report) for tests.
PACKAGES := cmake g++ ninja-build ccache pkg-config \
  libtorch-dev libopenblas0-pthread libprotobuf-dev zlib1g-dev \
  libopencv-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
  libsentencepiece-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev \
  libre2-dev libgtest-dev googletest ffmpeg dataset-fashion-mnist chromium

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: deps configure build build-tool test demo clean

deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: all $(words $(PACKAGES)) Debian packages are present"; fi

configure:
	@[ -f $(BUILD_DIR)/CMakeCache.txt ] || cmake -S . -B $(BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS)

# The command-line tool alone (what the demo needs; tests and benchmarks not built).
build-tool: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS) --target vltune vltune-sentencepiece

test: deps build
	ctest --test-dir $(BUILD_DIR) --label-exclude slow --output-on-failure --parallel $(JOBS)

demo: deps build-tool
	@[ -f data/fashion-mnist/vqa_train.json ] || $(VLTUNE) data fashion-mnist --out data/fashion-mnist --limit 4000
	@$(VLTUNE) compare recipes/quickstart.yaml

clean:
	rm -rf $(BUILD_DIR)
