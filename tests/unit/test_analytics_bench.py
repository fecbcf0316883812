"""The analytics benchmark's quick mode runs inside the test command: it must complete and print
a figure for every report (timings are printed, never asserted)."""

from benchmarks import analytics_bench
from shared.analytics import catalog


def test_quick_benchmark_prints_a_time_for_every_report(capsys):
    analytics_bench.main(["--quick"])
    out = capsys.readouterr().out
    assert "2000 facts" in out
    for name in catalog.reports():
        assert f"  {name} " in out
    assert f"all {len(catalog.reports())} reports:" in out
