"""`make bench`: run every benchmark, print one table, and save it to bench/results/latest.md."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

# Run as a script (`python bench/run.py`), so the project root is not on sys.path yet.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (  # noqa: E402  (needs the path above)
    campaign_pages, common, coverage_pages, duplicates, home_page, import_doses, import_reading,
    import_residents, list_download, list_pdf, offline_copy, page_weight, reliability, search, seed_demo, visit_batch,
    visit_save,
)

# One module per benchmark; each has title(settings) and run(backend, settings) -> [Row].
BENCHMARKS = (seed_demo, home_page, campaign_pages, coverage_pages, visit_save, visit_batch,
              reliability, offline_copy, duplicates, search, page_weight,
              list_pdf, list_download, import_reading, import_residents, import_doses)


def run_all(backends: list[common.Backend], settings: common.Settings) -> list[common.Row]:
    """Every benchmark on every database; a failure becomes a row, and the others still run."""
    rows: list[common.Row] = []
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    for benchmark in BENCHMARKS:
        if only and benchmark.__name__.removeprefix("bench.") not in only:
            continue
        name = benchmark.title(settings)
        for backend in backends:
            # Some figures do not depend on the database (page weight): measured on one only.
            if backend.name not in getattr(benchmark, "DATABASES", (backend.name,)):
                continue
            if backend.skip_reason or backend.error:
                rows.append(common.Row(
                    benchmark=name, database=backend.name,
                    figure=backend.skip_reason or f"FAILED: {backend.error}",
                    failed=backend.error is not None,
                ))
                continue
            common.note(f"{name} on {backend.label}")
            try:
                rows.extend(benchmark.run(backend, settings))
            except Exception as error:  # one broken benchmark must not hide the others' rows
                traceback.print_exc(file=sys.stderr)
                rows.append(common.Row(benchmark=name, database=backend.label,
                                       figure=f"FAILED: {error}", failed=True))
    return rows


def main() -> int:
    """Check the tools, measure, print and save the report; non-zero when a row failed."""
    common.install_signal_handlers()
    if common.wrk_version() is None:
        print("bench: wrk, the HTTP load generator, is not installed.\n"
              "       Install the Debian package: sudo apt-get install wrk", file=sys.stderr)
        return 2
    try:
        settings = common.Settings.from_environment()
    except common.BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    backends = common.available_backends()
    environment = common.environment_line(backends, settings)
    common.note(environment)
    rows = run_all(backends, settings)
    report = f"{environment}\n\n{common.markdown_table(rows)}\n"
    print(report)
    common.RESULTS.mkdir(exist_ok=True)
    (common.RESULTS / "latest.md").write_text(report, encoding="utf-8")
    common.note(f"saved to {common.RESULTS / 'latest.md'}")
    return 1 if any(row.failed for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
