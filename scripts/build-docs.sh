#!/usr/bin/env bash
# Build the Sphinx documentation into doc/_build/html; any warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m sphinx -W --keep-going -b html doc doc/_build/html "$@"
echo "docs: open doc/_build/html/index.html"
