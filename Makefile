# goguacd — two commands: `make run` and `make test`.
GO        ?= go
BIN       := bin/goguacd
PKGS      := ./...
FUZZTIME  ?= 20s

.PHONY: all build run test unit integration deps bench fuzz lint web clean

all: build

web:
	@if [ -f web/package.json ]; then ./scripts/web-assets.sh; fi

build: web
	$(GO) build -o $(BIN) ./cmd/goguacd

# Builds and starts goguacd on the embedded default: loopback only, demo
# catalog, built-in demo desktop.
run: build
	./$(BIN) $(ARGS)

deps:
	./scripts/deps.sh

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 $(PKGS)

# Integration tests start real servers (Xvnc, sshd, PostgreSQL, Chromium).
integration: deps web
	$(GO) test -race -count=1 -tags integration -timeout 30m $(PKGS)

test: deps web lint integration

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Short runs of every fuzz target.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin web/node_modules
