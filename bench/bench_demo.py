"""Wall time of `outrank --help` and of a full `outrank demo` scan (84 simulated provider calls).

Run: python bench/bench_demo.py [runs]. Targets: --help under 0.5 s (no provider SDK imported);
demo under 10 s on a 2-core machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "outrank", *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"OUTRANK_DB": f"{tmp}/bench.db", "OUTRANK_REPORTS_DIR": f"{tmp}/reports"}
        helps = [timed(["--help"], env) for _ in range(runs)]
        demos = [timed(["demo", "--json"], env) for _ in range(runs)]
    print(f"outrank --help: median {statistics.median(helps):.3f}s over {runs} runs")
    print(f"outrank demo:   median {statistics.median(demos):.3f}s over {runs} runs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
