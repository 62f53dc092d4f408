#!/usr/bin/env bash
# Install everything the tests need on a fresh machine and run the whole test suite.
#
# Python extras (test, docs, bench = lime 0.2.0.1 for side-by-side checks, lab, parallel = joblib,
# cloudpickle, Dask and Ray for explain_many's backends), Debian's chromium for the real-browser
# tests, the npm packages for the JS build and unit tests. Then: the JS format check (prettier) and
# unit tests, a rebuild of the shipped bundle that must equal the committed one, ruff (lint and
# format check), mypy, the docs build (warnings are errors), a fresh Binder environment running the
# notebooks, and pytest (engine, compat, widgets, notebooks, browser).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Python packages"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[test,docs,bench,lab,parallel]"

step "Chromium for browser tests"
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "not root and /usr/bin/chromium missing: browser tests will be skipped"
    fi
fi

step "JS: install, format check (prettier), unit tests, rebuild the shipped bundle"
(cd js && npm ci --no-audit --no-fund --loglevel=error && npm run format:check && npm test && npm run build)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git diff --exit-code --stat -- limewidgets/static \
        || { echo "limewidgets/static differs from a fresh build of js/: run 'cd js && npm run build' and commit"; exit 1; }
fi

step "ruff (lint and format check), mypy"
python -m ruff check limewidgets tests benchmarks scripts
python -m ruff format --check limewidgets tests benchmarks scripts
python -m mypy limewidgets

step "Docs (Sphinx, warnings are errors)"
bash scripts/build-docs.sh

step "Binder environment runs the notebooks"
bash scripts/check-binder-env.sh

step "pytest"
python -m pytest -q "$@"
