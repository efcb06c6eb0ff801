# urun: `make build` builds the binaries, `make test` sets up the host (as
# root) and runs every test. See README.md.

GO       ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
# osusergo: look users up in /etc/passwd in Go; glibc's NSS costs a dlopen
# on every start (a user only a directory service knows falls back to $USER).
TAGS     := containers_image_openpgp,containers_image_docker_daemon_stub,exclude_graphdriver_btrfs,exclude_graphdriver_zfs,osusergo
# `urun --version` prints these.
VERSION  ?= $(shell git describe --tags --dirty 2>/dev/null || echo 0.1.0-dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null)
GOFLAGS_BUILD := -tags $(TAGS) -trimpath -ldflags '-X main.version=$(VERSION) -X main.commit=$(COMMIT)'
export CGO_ENABLED := 1

# make install: PREFIX and DESTDIR as usual. urun finds urun-image and
# urun-netholder next to itself, and urun-init must be there: all four go
# to BINDIR.
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
PROGRAMS := urun urun-image urun-init urun-netholder

.PHONY: all build deps man completions install uninstall test unit fuzz suite integration vm bench clean

all: build

# A C compiler and libseccomp-dev: installed as root, else named.
deps:
	@GO=$(GO) bash hack/build-deps.sh

build: deps
	$(GO) build $(GOFLAGS_BUILD) -o bin/urun ./cmd/urun
	$(GO) build $(GOFLAGS_BUILD) -o bin/urun-image ./cmd/urun-image
	$(GO) build $(GOFLAGS_BUILD) -o bin/urun-init ./cmd/urun-init
	$(GO) build $(GOFLAGS_BUILD) -o bin/urun-netholder ./cmd/urun-netholder

# Man pages, urun(1) and one per command (urun-run(1), ...), from the
# commands' own help: a build of cmd/urun with the generator (tag
# urun_mandocs), so bin/urun does not carry it.
man: deps
	$(GO) build -tags $(TAGS),urun_mandocs -trimpath -ldflags '-X main.version=$(VERSION)' -o bin/urun-mandocs ./cmd/urun
	rm -rf bin/man && mkdir -p bin/man
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null) bin/urun-mandocs __man-pages bin/man

# The shells' completion scripts, from `urun completion SHELL`.
completions: build
	mkdir -p bin/completions
	bin/urun completion bash >bin/completions/urun.bash
	bin/urun completion zsh >bin/completions/_urun
	bin/urun completion fish >bin/completions/urun.fish

install: build man completions
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(addprefix bin/,$(PROGRAMS)) $(DESTDIR)$(BINDIR)/
	install -m 0644 bin/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 bin/completions/urun.bash $(DESTDIR)$(BASHCOMPDIR)/urun
	install -m 0644 bin/completions/_urun $(DESTDIR)$(ZSHCOMPDIR)/_urun
	install -m 0644 bin/completions/urun.fish $(DESTDIR)$(FISHCOMPDIR)/urun.fish

# Removes what install put there (the man pages by their names: urun.1
# and urun-*.1).
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(PROGRAMS))
	rm -f $(DESTDIR)$(MANDIR)/man1/urun.1 $(DESTDIR)$(MANDIR)/man1/urun-*.1
	rm -f $(DESTDIR)$(BASHCOMPDIR)/urun $(DESTDIR)$(ZSHCOMPDIR)/_urun $(DESTDIR)$(FISHCOMPDIR)/urun.fish

# Everything: host set-up (as root), build, unit tests, integration suite.
test:
	bash hack/test.sh all

# go vet and the unit tests of every package but the integration suite.
unit:
	$(GO) vet -tags $(TAGS) ./...
	$(GO) test -tags $(TAGS) $$($(GO) list -tags $(TAGS) ./... | grep -v '^github.com/urun/urun/test$$')

# Every fuzz test for FUZZTIME (default 5s) each; `make test` runs it.
fuzz:
	bash hack/fuzz.sh

# The compiled integration suite (hack/test.sh runs it as the test user).
SUITE_BINARY ?= bin/integration.test
suite:
	$(GO) test -c -tags $(TAGS) -o $(SUITE_BINARY) ./test

# The VM test bed alone (as root): the suite's TestVM* tests in a guest
# with systemd and cgroup v2 (hack/vm/); `make test` runs it too.
vm: build suite
	bash hack/vm/test.sh bin $(SUITE_BINARY)

# Host set-up (as root), build, and the integration suite only.
integration:
	bash hack/test.sh integration

# Host set-up (as root), build, and the benchmark, run as uruntest: urun
# run next to bwrap and podman. A report: exits 0 whenever it measured.
bench:
	bash hack/bench/run.sh

clean:
	rm -rf bin
	$(GO) clean -testcache
