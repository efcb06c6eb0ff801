# urun: `make build` builds the binaries, `make test` sets up the host (as
# root) and runs every test. See README.md.

GO       ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
# osusergo: look users up in /etc/passwd in Go; glibc's NSS costs a dlopen
# on every start (a user only a directory service knows falls back to $USER).
TAGS     := containers_image_openpgp,containers_image_docker_daemon_stub,exclude_graphdriver_btrfs,exclude_graphdriver_zfs,osusergo
GOFLAGS_BUILD := -tags $(TAGS) -trimpath
export CGO_ENABLED := 1

.PHONY: all build test unit fuzz suite integration vm bench clean

all: build

build:
	$(GO) build $(GOFLAGS_BUILD) -o bin/urun ./cmd/urun
	$(GO) build $(GOFLAGS_BUILD) -o bin/urun-image ./cmd/urun-image
	$(GO) build $(GOFLAGS_BUILD) -o bin/urun-init ./cmd/urun-init
	$(GO) build $(GOFLAGS_BUILD) -o bin/urun-netholder ./cmd/urun-netholder

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
