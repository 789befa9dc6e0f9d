# make test   build, then run every test against a throwaway PostgreSQL
# make build  debug build only
.PHONY: build test

build:
	swift build --build-tests

test: build
	scripts/with-postgres swift test --skip-build --no-parallel

# make chaos  issue 9's fault scenarios at full size, then the soak (bench/chaos/run; SOAK_MINUTES=10 shortens it)
.PHONY: chaos
chaos:
	bench/chaos/run --soak-minutes $(or $(SOAK_MINUTES),60)
