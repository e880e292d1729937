# The two commands of the README: `make run` and `make test`. Everything else
# here serves them (or CI, or benchmarks).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test setup lint format check lock clean compose-config

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

## run: the portal with embedded defaults (SQLite, filesystem broker, devcluster demo when Go is there,
##      test hosts as demo hosts when run as root: RUN_ARGS=--demo-hosts=0 for none)
run: setup
	$(PY) manage.py rundev $(RUN_ARGS)

## test: the whole test suite (services it needs are skipped with a reason, or FAIL under CI=true)
test: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## check: what CI checks besides the tests
check: setup lint
	$(PY) manage.py makemigrations --check --dry-run
	PORTAL_ENV=production DEBUG=false SECRET_KEY=ci-only-$$(date +%s)-not-a-real-secret-key-but-long-enough-for-check \
	  PORTAL_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	  ALLOWED_HOSTS=portal.example.com $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

compose-config:
	docker-compose -f docker-compose.yml config -q

lock:
	$(PY) -m pip freeze --exclude-editable > requirements.lock.new
	(echo "# Pinned versions of every Python dependency (pyproject.toml declares the ranges)."; \
	 echo "# Regenerate: make lock"; cat requirements.lock.new) > requirements.lock
	rm requirements.lock.new

clean:
	rm -rf $(VENV) node_modules staticfiles

-include Makefile.devcluster
-include Makefile.testhosts

## bench-tenancy: reconcile 500 team namespaces on a devcluster (throwaway database)
bench-tenancy: setup
	rm -f var/bench-tenancy.sqlite3
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench-tenancy.sqlite3 $(PY) manage.py migrate -v0
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench-tenancy.sqlite3 $(PY) manage.py bench_tenancy $(BENCH_ARGS)

## bench-clusters: health sweep of 20 clusters (live, closed ports, silent) on a devcluster
bench-clusters: setup
	rm -f var/bench-clusters.sqlite3
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench-clusters.sqlite3 $(PY) manage.py migrate -v0
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench-clusters.sqlite3 $(PY) manage.py bench_clusters $(BENCH_ARGS)

## bench-ssh: the same 5-step job on 1, 5 and 10 SSH test hosts (root; throwaway database,
## BENCH_DATABASE_URL to use another, e.g. PostgreSQL)
BENCH_SSH_DB ?= sqlite:///$(CURDIR)/var/bench-ssh.sqlite3
bench-ssh: setup
	rm -f var/bench-ssh.sqlite3
	DATABASE_URL=$(or $(BENCH_DATABASE_URL),$(BENCH_SSH_DB)) $(PY) manage.py migrate -v0
	DATABASE_URL=$(or $(BENCH_DATABASE_URL),$(BENCH_SSH_DB)) $(PY) manage.py bench_ssh $(BENCH_ARGS)

## bench-bootstrap: bring up a 1+2 and a 1+9 cluster with the real kubeadm on SSH test hosts
## (root; throwaway database, BENCH_DATABASE_URL to use another)
BENCH_BOOTSTRAP_DB ?= sqlite:///$(CURDIR)/var/bench-bootstrap.sqlite3
bench-bootstrap: setup
	rm -f var/bench-bootstrap.sqlite3
	DATABASE_URL=$(or $(BENCH_DATABASE_URL),$(BENCH_BOOTSTRAP_DB)) $(PY) manage.py migrate -v0
	DATABASE_URL=$(or $(BENCH_DATABASE_URL),$(BENCH_BOOTSTRAP_DB)) $(PY) manage.py bench_bootstrap $(BENCH_ARGS)

## bench-audit: the audit trail at 1,000,000 events (PostgreSQL, its own database; BENCH_AUDIT_DB to use
## another): first page of the filtered list (API and HTML) and streamed CSV exports with the peak memory
BENCH_AUDIT_DB ?= postgres://portal:portal@127.0.0.1:5432/portal_bench_audit
bench-audit: setup
	DATABASE_URL=$(BENCH_AUDIT_DB) $(PY) manage.py bench_audit --create-database
	DATABASE_URL=$(BENCH_AUDIT_DB) $(PY) manage.py migrate -v0
	DATABASE_URL=$(BENCH_AUDIT_DB) DEBUG=false API_THROTTLE_USER=100000/minute $(PY) manage.py bench_audit $(BENCH_ARGS)

## bench-workloads: first page of a 5,000-pod namespace (API and HTML) vs the raw API server GET, and the
## portal's peak memory, on its own devcluster (throwaway database, BENCH_DATABASE_URL to use another)
BENCH_WORKLOADS_DB ?= sqlite:///$(CURDIR)/var/bench-workloads.sqlite3
bench-workloads: setup
	rm -f var/bench-workloads.sqlite3
	DATABASE_URL=$(or $(BENCH_DATABASE_URL),$(BENCH_WORKLOADS_DB)) $(PY) manage.py migrate -v0
	DATABASE_URL=$(or $(BENCH_DATABASE_URL),$(BENCH_WORKLOADS_DB)) $(PY) manage.py bench_workloads $(BENCH_ARGS)
