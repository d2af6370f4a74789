# vct build. `make help` lists the targets.
# Strict C11 warnings with -Werror always; no fast-math flags anywhere (see docs/pitfalls.md).

CC      ?= gcc
BUILD   ?= build
PKGS    := openblas libavformat libavcodec libavutil libswresample libswscale sndfile \
           libpng libjpeg libzip libcjson
OPT     ?= -O2
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -Werror
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CSTD) $(OPT) -g -fopenmp $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  += $(PKG_LIBS) -ldnnl -fopenmp -lm $(EXTRA_LDLIBS)

LIB_SRC  := $(shell find src -name '*.c' | sort)
CLI_SRC  := $(shell find cli -name '*.c' | sort)
TCOM_SRC := $(shell find tests/common -name '*.c' | sort)
TEST_SRC := $(shell find tests -name 'test_*.c' | sort)
BENCH_SRC:= $(shell find bench -name 'bench_*.c' | sort)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TCOM_OBJ := $(TCOM_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_BIN:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
LIB      := $(BUILD)/libvct.a
VCT      := $(BUILD)/vct

.PHONY: all test test-long bench bench-gemm bench-swin asan ref mutate deps help clean tests
.DEFAULT_GOAL := all

all: $(VCT) ## build libvct.a and the vct binary

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(VCT): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(TCOM_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -Itests/common -MMD -MP -o $@ $< $(TCOM_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIB) $(LDLIBS)

tests: $(VCT) $(TEST_BIN)

deps: ## install the Debian packages (skips what is present)
	@scripts/install-deps.sh --if-missing

test: deps ## the README test command: deps, build, every test, the conformance check
	@$(MAKE) --no-print-directory tests
	@tests/run_tests.sh $(BUILD)

test-long: deps ## long suite: mutation testing and large checks
	@$(MAKE) --no-print-directory tests
	@tests/run_tests.sh $(BUILD) --long

asan: deps ## the test suite under ASan+UBSan (separate build dir)
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  EXTRA_LDLIBS="-fsanitize=address,undefined" tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  tests/run_tests.sh build-asan --asan

bench: $(BENCH_BIN) ## every benchmark: each bench/*.sh prints ours next to PyTorch measured in the same run
	@for s in bench/*.sh; do echo "==== $$s"; sh $$s $(BUILD) || exit 1; done

bench-swin: $(BUILD)/bench/bench_swin ## Swin-B forward at 384 per frame and peak RSS, vct next to the official PyTorch module
	@bench/bench_swin.sh $(BUILD)

bench-gemm: $(BUILD)/bench/bench_gemm ## GEMM GFLOP/s per backend next to torch.matmul
	@bench/bench_gemm.sh $(BUILD)

ref: ## regenerate the torch reference data under tests/ref/data (needs python3-torch)
	@tests/ref/make_ref.sh

mutate: ## break each op family in turn and show the suite catches it
	@tests/mutate.sh

help: ## this list
	@grep -hE '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-12s %s\n", $$1, $$2}'

clean: ## remove build outputs
	rm -rf build build-asan

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
