# Entry points. `make test` is the test command; `make demo` runs the main job on a recording
# shipped in this repository. Both do their own set-up first.

CARGO ?= cargo
DEMO_RECORDING ?= tests/data/recordings/posthog-com-homepage-desktop-scroll.json
DEMO_SCANNER ?= dead_end

.PHONY: setup guests guests-test build test demo lint

setup:
	scripts/setup.sh

# The scanner types and the test guests, compiled to WebAssembly components in
# $(GUEST_OUT); the built-in types are then copied to $(TYPES_DIR), where the host looks.
BUILTIN_TYPES := monitor classifier scorer summarizer checklist
TEST_GUESTS := guest-hostile guest-other-version
GUEST_OUT = $(or $(CARGO_TARGET_DIR),target)/wasm32-wasip2/guest
TYPES_DIR ?= scanner-types

guests:
	$(CARGO) build --profile guest --target wasm32-wasip2 \
		$(addprefix -p scanner-,$(BUILTIN_TYPES)) $(addprefix -p ,$(TEST_GUESTS))
	mkdir -p $(TYPES_DIR)
	for type in $(BUILTIN_TYPES); do \
		cp $(GUEST_OUT)/scanner_$$type.wasm $(TYPES_DIR)/scanner_$$type.wasm; \
	done

# The guest SDK and scanner type tests, natively and through the runtime.
guests-test: guests
	$(CARGO) test -p replay-vision-guest $(addprefix -p scanner-,$(BUILTIN_TYPES))
	$(CARGO) test -p replay-vision-tests --test runtime

build: setup guests
	$(CARGO) build -p replay-vision

test:
	scripts/test.sh

demo: build
	$(CARGO) run -q -p replay-vision -- scan $(DEMO_RECORDING) --scanner $(DEMO_SCANNER)

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
