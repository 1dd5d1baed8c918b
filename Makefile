# Entry points. `make test` is the test command; `make demo` runs the main job on a recording
# shipped in this repository. Both do their own set-up first.

CARGO ?= cargo
DEMO_RECORDING ?= tests/data/recordings/posthog-com-homepage-desktop-scroll.json
DEMO_SCANNER ?= dead_end

.PHONY: setup guests build test demo lint

setup:
	scripts/setup.sh

# The scanner types, compiled to WebAssembly components.
guests:
	$(CARGO) build --profile guest --target wasm32-wasip2 \
		-p scanner-monitor -p scanner-classifier -p scanner-scorer \
		-p scanner-summarizer -p scanner-checklist

build: setup guests
	$(CARGO) build -p replay-vision

test:
	scripts/test.sh

demo: build
	$(CARGO) run -q -p replay-vision -- scan $(DEMO_RECORDING) --scanner $(DEMO_SCANNER)

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
