# make test   build, then run every test against a throwaway PostgreSQL
# make build  debug build only
.PHONY: build test

build:
	swift build --build-tests

test: build
	scripts/with-postgres swift test --skip-build --no-parallel
