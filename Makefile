.DEFAULT_GOAL := help
.PHONY: help run test check test-deps lint fmt db-up db-down build bench bench-import fuzz-api fuzz bench-soak bench-login bench-replica bench-citus schema

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Serve on 127.0.0.1:3000 with demo data (starts a private PostgreSQL under .data/ unless DATABASE_URL is set)
	@scripts/run.sh

test: ## Run every test against a throwaway PostgreSQL cluster (what CI runs)
	@scripts/test.sh

check: ## The fast tier: unit and in-process tests (DATABASE_URL, else a throwaway cluster)
	@scripts/check.sh

test-deps: ## Install the system packages the tests need (as root with apt-get; else lists them)
	@scripts/install-test-deps.sh

# crate:dependency pairs `make lint` refuses: the leaf crates stay free of the database and the
# web framework, and the reports compile neither the date parser nor the time-zone database.
CRATE_RULES := omnireports-error:diesel omnireports-validation:diesel omnireports-model:diesel \
	omnireports-model:chrono-tz omnireports-analytics:omnireports-validation \
	omnireports-analytics:chrono-tz omnireports-analytics:actix-web omnireports-auth:actix-web \
	omnireports-import:actix-web omnireports-trends:actix-web

lint: ## cargo fmt --check, clippy -D warnings, rustdoc -D warnings, the crate rules, the schema snapshot
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
	@for rule in $(CRATE_RULES); do crate=$${rule%%:*} dep=$${rule#*:}; \
		if cargo tree -p $$crate -e normal -i $$dep 2>/dev/null | grep -q .; then \
			echo "$$crate must not depend on $$dep"; exit 1; fi; done
	@scripts/schema.sh

schema: ## Write docs/schema.sql, the schema the migrations lay out (pg_dump --schema-only)
	@scripts/schema.sh --write

fmt: ## Format the code
	cargo fmt --all

build: ## Build the omnireports binary (release)
	@scripts/deps.sh
	cargo build --release --bin omnireports

db-up: ## Start the private PostgreSQL cluster of `make run` and print its URL
	@scripts/pg.sh start .data/pg

db-down: ## Stop the private PostgreSQL cluster of `make run`
	@scripts/pg.sh stop .data/pg

bench: ## Reports at N conversations (default 10,000,000) vs the plain GROUP BY, ceiling, RSS, write cost
	@N=$${N:-10000000} scripts/bench.sh

bench-import: ## Import 1,000,000 generated rooms and compare with psql \copy (ROOMS=n to change)
	@scripts/bench-import.sh

bench-soak: ## 128 connections on an 8-connection pool for SOAK_SECONDS (120): RSS series, 200/503 counts
	@scripts/bench-soak.sh

bench-replica: ## Reports read from a streaming replica vs from the primary, p50/p99 (N=1,000,000, RUNS=3)
	@scripts/bench-replica.sh

bench-citus: ## Citus (a coordinator, 2 workers) vs one PostgreSQL: import, increment, report p50/p99 (ROOMS=1,000,000)
	@scripts/bench-citus.sh

bench-login: ## Login p50/p99 at bcrypt cost 10 (1 and 20 clients); report p99 alone vs. during 20 logging in (RUNS, 5)
	@scripts/bench-login.sh

fuzz-api: ## Schemathesis against /api/v1/openapi.json on demo data (FUZZ_API_SECONDS, default 120)
	@scripts/fuzz-api.sh

fuzz: ## cargo-fuzz the query, sort and date parsers, validate and the import reader (FUZZ_SECONDS per target, default 60)
	@fuzz/run.sh
