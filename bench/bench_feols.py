"""feols: virkning vs pyfixest on the same generated data, side by side, in one run.

Usage:
    python bench/bench_feols.py            # all cases (about 15 minutes on 2 cores)
    python bench/bench_feols.py --quick    # 1M-row cases only, one repetition
    python bench/bench_feols.py --cases simple_2fe_1m difficult_2fe_1m

Each (library, case) runs in its own subprocess so that peak memory can be measured: the
process's peak RSS is reset after the data are generated (/proc/self/clear_refs), so the
reported peak is what the fit adds on top of the input. Data follow fixest's benchmark DGP
(workers x years, 23 workers per firm; "simple": firms drawn at random, "difficult": firms
assigned cyclically, a weakly connected worker-firm graph). The timing includes CR1 standard
errors clustered by worker and, for virkning, the pandas-to-Rust conversion. Results: the
best of the repetitions; pyfixest's engines are warmed up (JIT) on a small fit first.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "simple_2fe_1m": (1_000_000, "simple", "indiv + firm"),
    "difficult_2fe_1m": (1_000_000, "difficult", "indiv + firm"),
    "simple_3fe_1m": (1_000_000, "simple", "indiv + firm + year"),
    "simple_2fe_10m": (10_000_000, "simple", "indiv + firm"),
    "difficult_2fe_10m": (10_000_000, "difficult", "indiv + firm"),
}
LIBRARIES = ["virkning", "pyfixest-rust", "pyfixest-numba", "pyfixest-within"]


def generate(n: int, kind: str):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(42)
    n_years = 10
    n_indiv = n // n_years
    n_firm = max(1, n_indiv // 23)
    indiv = np.repeat(np.arange(n_indiv), n_years)
    year = np.tile(np.arange(n_years), n_indiv)
    firm = rng.integers(0, n_firm, n) if kind == "simple" else np.arange(n) % n_firm
    x1 = rng.normal(size=n)
    y = x1 + rng.normal(size=n_indiv)[indiv] + rng.normal(size=n_firm)[firm] + 0.1 * year + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x1": x1, "indiv": indiv, "firm": firm, "year": year})


def _rss_peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _rss_now_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _fitter(lib: str):
    if lib == "virkning":
        import virkning as vk

        def fit(df, fe):
            r = vk.feols(f"y ~ x1 | {fe}", df, vcov={"CR1": "indiv"})
            return r.coef()["x1"], r.se()["x1"], r.to_dict()["convergence"]["iterations"]

        return fit
    import pyfixest as pf
    from pyfixest.demeaners import LsmrDemeaner, MapDemeaner

    demeaner = {
        "pyfixest-rust": MapDemeaner(backend="rust"),
        "pyfixest-numba": MapDemeaner(backend="numba"),
        "pyfixest-within": LsmrDemeaner(backend="within"),
    }[lib]

    def fit(df, fe):
        r = pf.feols(f"y ~ x1 | {fe}", df, vcov={"CRV1": "indiv"}, demeaner=demeaner)
        return float(r.coef().iloc[0]), float(r.se().iloc[0]), None

    return fit


def run_one(lib: str, case: str, reps: int) -> dict:
    import warnings

    warnings.filterwarnings("ignore")
    n, kind, fe = CASES[case]
    fit = _fitter(lib)
    fit(generate(20_000, kind), fe)  # warm-up (JIT, imports), not timed
    df = generate(n, kind)
    input_mib = df.memory_usage(deep=True).sum() / 2**20
    Path("/proc/self/clear_refs").write_text("5")
    base = _rss_now_kib()
    times = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        try:
            out = fit(df, fe)
        except Exception as e:  # a peer that fails is reported, not fatal
            return {"lib": lib, "case": case, "error": f"{type(e).__name__}: {str(e)[:120]}"}
        times.append(time.perf_counter() - t0)
    peak_extra = (_rss_peak_kib() - base) / 1024
    return {"lib": lib, "case": case, "seconds": min(times), "coef": out[0], "se": out[1],
            "iterations": out[2], "input_mib": input_mib, "peak_extra_mib": peak_extra}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cases", nargs="*")
    ap.add_argument("--libs", nargs="*", default=LIBRARIES)
    ap.add_argument("--timeout", type=float, default=900, help="seconds before a run is stopped")
    ap.add_argument("--report-from", nargs="*", metavar="LOG",
                    help="only write the table from the JSON lines of earlier runs")
    ap.add_argument("--one", nargs=3, metavar=("LIB", "CASE", "REPS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], int(args.one[2]))))
        return
    if args.report_from:
        rows = [json.loads(line) for log in args.report_from for line in Path(log).read_text().splitlines()
                if line.startswith("{")]
        report(rows, " ".join(sys.argv[1:]))
        return
    cases = args.cases or [c for c in CASES if not (args.quick and c.endswith("10m"))]
    rows = []
    for case in cases:
        for lib in args.libs:
            reps = 1 if args.quick or case.endswith("10m") else 3
            try:
                proc = subprocess.run([sys.executable, __file__, "--one", lib, case, str(reps)],
                                      capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                res = {"lib": lib, "case": case, "error": f"stopped after {args.timeout:.0f} s"}
                rows.append(res)
                print(json.dumps(res), flush=True)
                continue
            try:
                res = json.loads(proc.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                res = {"lib": lib, "case": case, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:120]}
            rows.append(res)
            print(json.dumps(res), flush=True)
    report(rows, " ".join(sys.argv[1:]))


NOTES = [
    "Notes:",
    "",
    "- Runs share a 2-core machine; when other jobs load it, every library's seconds grow, so "
    "compare ratios within a case (each library runs in turn on the same data). JSON lines of "
    "the runs behind a table assembled with `--report-from` are kept in `bench/logs/`.",
    "- Difficult (weakly connected worker-firm) designs: virkning eliminates the largest "
    "dimension, assembles the Schur complement on the others once per model and factors it "
    "by sparse Cholesky (faer, AMD ordering); conjugate gradients preconditioned by that "
    "factor then need a handful of steps per column. If the factor would exceed a memory "
    "budget (half the rows in non-zeros) it falls back to block-Jacobi conjugate gradients.",
    "- Peak memory on top of the input: the model matrix (outcome and regressors, one copy), "
    "one u32 code per row and fixed effect, and for difficult designs the worker-firm "
    "adjacency; a cluster variable that is also a fixed effect shares its codes.",
    "",
]


def report(rows: list[dict], argv: str) -> None:
    import numpy
    import pandas

    import virkning

    try:
        import pyfixest

        pf_version = pyfixest.__version__
    except ImportError:
        pf_version = "not installed"
    lines = [
        "# feols benchmark: virkning vs pyfixest",
        "",
        f"Run {datetime.date.today().isoformat()} with `{('python bench/bench_feols.py ' + argv).strip()}` on "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; virkning "
        f"{virkning.__version__}, pyfixest {pf_version}, numpy {numpy.__version__}, pandas {pandas.__version__}.",
        "Model `y ~ x1 | indiv + firm (+ year)`, CR1 standard errors by worker included in the timing; "
        "best of 3 runs (1 for 10M rows). Memory: peak RSS the fit adds on top of the input data, "
        "as a ratio to the input's size. pyfixest's MAP engines use their default tolerance (1e-6), "
        "virkning its default (1e-8, stricter).",
        "",
        "| case | library | seconds | vs virkning | extra peak memory (MiB) | memory / input | coef | iterations |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    by_case: dict[str, dict] = {}
    for r in rows:
        by_case.setdefault(r["case"], {})[r["lib"]] = r
    summary = []
    for case, libs in by_case.items():
        v = libs.get("virkning", {})
        for lib, r in libs.items():
            if "error" in r:
                lines.append(f"| {case} | {lib} | failed: {r['error']} | | | | | |")
                continue
            ratio = r["seconds"] / v["seconds"] if v.get("seconds") else float("nan")
            lines.append(
                f"| {case} | {lib} | {r['seconds']:.3f} | {ratio:.1f}x | {r['peak_extra_mib']:.0f} | "
                f"{r['peak_extra_mib'] / r['input_mib']:.2f} | {r['coef']:.10f} | {r['iterations'] or ''} |"
            )
        peers = [r["seconds"] for lib, r in libs.items() if lib != "virkning" and "seconds" in r]
        if peers and v.get("seconds"):
            summary.append(f"- {case}: fastest pyfixest engine / virkning = {min(peers) / v['seconds']:.1f}x")
    lines += ["", "Speed-up over the fastest pyfixest engine per case:", "", *summary, "", *NOTES]
    text = "\n".join(lines)
    write_section(Path(__file__).with_name("RESULTS.md"), text)
    print(text)


def write_section(path: Path, section: str) -> None:
    """Replace this benchmark's top-level section of RESULTS.md, keeping the other families'."""
    title = section.splitlines()[0]
    old = path.read_text() if path.exists() else ""
    parts = [p for p in ("\n" + old).split("\n# ") if p.strip()]
    kept = ["# " + p.strip("\n") + "\n" for p in parts if ("# " + p).splitlines()[0] != title]
    path.write_text("\n".join([section.rstrip("\n") + "\n", *kept]))


if __name__ == "__main__":
    main()
