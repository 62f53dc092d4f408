"""Execute Jupyter notebooks headless with nbclient, the way CI does, and report their run times.

Usage::

    python scripts/run_notebooks.py [--timeout SECONDS] [--json FILE] notebooks/*.ipynb

Each notebook runs in a fresh ``python3`` kernel whose working directory is the notebook's folder;
the notebook file itself is never modified. The kernel must belong to the Python running this
script (checked first), so that a virtual environment tests its own packages. Exits non-zero if any
notebook raises.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL_NAME = "python3"


def run_notebook(path: str | os.PathLike, timeout: int = 120) -> float:
    """Execute one notebook in a fresh kernel and return its wall-clock run time in seconds.

    Parameters
    ----------
    path : str or path-like
        The ``.ipynb`` file; it is read, executed in memory, and not written back.
    timeout : int, default=120
        Maximum seconds for any single cell.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell raises; the message contains the cell's traceback.
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def kernel_prefix() -> str:
    """``sys.prefix`` of the Python that the ``python3`` kernel runs (starts one kernel)."""
    probe = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")],
        metadata={"kernelspec": {"name": KERNEL_NAME, "display_name": "Python 3"}},
    )
    NotebookClient(probe, timeout=60, kernel_name=KERNEL_NAME).execute()
    return probe.cells[0].outputs[0]["text"].strip()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    parser.add_argument("--json", type=Path, help="also write {notebook: seconds} to this file")
    args = parser.parse_args(argv)

    prefix = kernel_prefix()
    if Path(prefix).resolve() != Path(sys.prefix).resolve():
        print(f"the {KERNEL_NAME} kernel runs in {prefix}, not in {sys.prefix}", file=sys.stderr)
        return 2

    times: dict[str, float] = {}
    failed: list[str] = []
    for path in args.notebooks:
        try:
            times[path.name] = run_notebook(path, timeout=args.timeout)
            print(f"ok      {times[path.name]:6.1f} s  {path}", flush=True)
        except Exception as exc:  # report every notebook, then fail
            failed.append(path.name)
            print(f"FAILED           {path}\n{exc}", file=sys.stderr, flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(times, indent=2) + "\n")
    print(f"{len(times)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
