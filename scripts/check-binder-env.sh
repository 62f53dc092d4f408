#!/usr/bin/env bash
# Build a FRESH virtual environment the way Binder does (binder/requirements.txt, then
# binder/postBuild, which installs limewidgets from this checkout), check that JupyterLab >= 4 and
# the widget front-ends are there, and execute every notebook in that environment.
#
# Usage: bash scripts/check-binder-env.sh [VENV_DIR]   (default: a new temporary directory,
# removed at the end; a given VENV_DIR is kept for inspection).
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root="$PWD"
start=$SECONDS

if [ $# -ge 1 ]; then
    venv="$1"
    rm -rf "$venv"
else
    workdir="$(mktemp -d)"
    trap 'rm -rf "$workdir"' EXIT
    venv="$workdir/binder-venv"
fi

echo "binder env: creating $venv"
python -m venv "$venv"
# Only the new environment's tools from here on, as in the Binder image.
export PATH="$venv/bin:$PATH"
unset PYTHONPATH PYTHONHOME
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Kernels and Jupyter settings of the environment under test, not the user's.
export JUPYTER_PREFER_ENV_PATH=1

python -m pip install --quiet --upgrade pip
python -m pip install --quiet -r binder/requirements.txt
bash binder/postBuild >/dev/null
echo "binder env: installed in $((SECONDS - start)) s"

# Run the checks from outside the checkout so that "import limewidgets" cannot pick up the
# source tree instead of the installed package.
cd "$venv"
python - <<'PY'
import importlib.metadata as md
import json
import subprocess
import sys
from pathlib import Path

import limewidgets

installed = Path(limewidgets.__file__).resolve()
assert installed.is_relative_to(Path(sys.prefix).resolve()), f"limewidgets imported from {installed}"
major = int(md.version("jupyterlab").split(".")[0])
assert major >= 4, f"JupyterLab {md.version('jupyterlab')} < 4"
out = subprocess.run(
    [sys.executable, "-m", "jupyter", "labextension", "list"],
    capture_output=True, text=True,
)
listing = out.stdout + out.stderr
for extension in ("anywidget", "@jupyter-widgets/jupyterlab-manager"):
    assert extension in listing, f"JupyterLab extension {extension} missing:\n{listing}"
static = installed.parent / "static"
bundles = sorted(p.name for p in static.glob("*.js"))
print(f"limewidgets {limewidgets.__version__} from {installed.parent}")
print(f"JupyterLab {md.version('jupyterlab')}, anywidget {md.version('anywidget')}, bundles {bundles}")
PY

python "$repo_root/scripts/run_notebooks.py" --timeout 180 \
    --json "$repo_root/bench-results/binder-notebook-times.json" "$repo_root"/notebooks/*.ipynb
echo "binder env: done in $((SECONDS - start)) s"
