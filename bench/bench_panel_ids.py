"""Other panel estimators on sorted integer ids vs shuffled rows with text ids (virkning only).

Usage (in bench/): ``python bench_panel_ids.py now`` and ``python bench_panel_ids.py before PATH``
(``PATH``: the ``python/`` directory of an earlier build, imported instead of the installed one).

``sun_abraham`` and ``event_study`` (default options) on the data of ``bench_att_gt.py
--variants`` at 50,000 units x 10 periods; best of 3 after a warm-up; one line per case with the
load average.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

if len(sys.argv) > 2 and sys.argv[1] == "before":
    sys.path.insert(0, sys.argv[2])

from bench_att_gt import generate_variant  # noqa: E402


def main() -> None:
    import virkning as vk

    warnings.filterwarnings("ignore")
    for est in ["sun_abraham", "event_study"]:
        for variant in ["sorted", "shuffled+text"]:
            df = generate_variant(50_000, variant)
            fit = getattr(vk, est)

            def run():
                return fit(df, outcome="y", unit="id", time="t", cohort="g")

            run()
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                run()
                best = min(best, time.perf_counter() - t0)
            print(sys.argv[1], est, variant, f"{best:.4f} s", f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
