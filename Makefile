# make test   build, then run every test against a throwaway PostgreSQL
# make build  debug build only
.PHONY: build test

build:
	swift build --build-tests

test: build
	scripts/with-postgres swift test --skip-build --no-parallel

# make check-deploy   static checks of deploy/ (YAML, compose, k8s, Dockerfile, systemd-analyze); part of make test
.PHONY: check-deploy
test: check-deploy
check-deploy:
	scripts/check-deploy

# make demo   install what is missing, build, and show Tally syncing three simulated MSPs; Ctrl-C stops it all
.PHONY: demo
demo:
	scripts/demo

# make chaos  issue 9's fault scenarios at full size, then the soak (bench/chaos/run; SOAK_MINUTES=10 shortens it)
.PHONY: chaos
chaos:
	bench/chaos/run --soak-minutes $(or $(SOAK_MINUTES),60)
