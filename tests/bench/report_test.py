"""The benchmark report never passes a case in which requests failed (run by `make test`)."""
import unittest

import bench

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:1/v1/messages
  50%  120.00us
  99%  900.00us
  1000 requests in 3.00s, 1.00MB read
  Non-2xx or 3xx responses: 250
Requests/sec:   333.33
status-codes: 200=750 429=250
"""


def result(case, connections, rps, non_2xx=0, statuses=None):
    return {"case": case, "connections": connections, "rps": rps, "p50_ms": 0.1,
            "p99_ms": 0.5, "requests": 1000, "non_2xx": non_2xx, "socket_errors": 0,
            "statuses": statuses or {200: 1000}, "cpu": {"amq2api": 1, "fake": 1, "wrk": 1},
            "peak_rss_kb": 1024}


def slow_streams(statuses=None, kinds=None):
    """5000 slow streams that grew the daemon by 20 KiB each."""
    kinds = kinds or {}
    statuses = statuses or {200: 5000}
    mem = {"before": 50_000, "open": 150_000, "closed": 140_000}
    return {"case": "slow streams", "connections": 5000, "open_s": 4.0, "statuses": statuses,
            "non_2xx": sum(n for code, n in statuses.items() if code != 200), "kinds": kinds,
            "socket_errors": sum(kinds.values()),
            **{when: {"VmRSS": kb, "Pss": kb} for when, kb in mem.items()}}


def clean_run():
    return [result(name, conns, 1000.0)
            for conns in (1, 32) for name in ("direct", "proxy non-stream", "proxy stream")]


class Report(unittest.TestCase):
    def test_wrk_status_codes_are_read(self):
        r = bench.parse_wrk(WRK_OUTPUT)
        self.assertEqual(r["statuses"], {200: 750, 429: 250})
        self.assertEqual(r["non_2xx"], 250)
        self.assertEqual(bench.error_text(r), "250 (429 × 250)")

    def test_a_clean_run_is_judged(self):
        lines = "\n".join(bench.derived_lines(clean_run(), [1, 32], [], 0))
        self.assertNotIn("INVALID", lines)
        self.assertIn("| 100 % | ≥ 50 % | PASS |", lines)

    def test_a_case_with_errors_is_invalid_never_a_pass(self):
        results = clean_run()
        results[4] = result("proxy non-stream", 32, 780.0, non_2xx=275,
                            statuses={200: 725, 429: 275})
        lines = bench.derived_lines(results, [1, 32], [], 0)
        ratio = next(line for line in lines if line.startswith("| proxy non-stream ÷ direct"))
        self.assertIn("INVALID", ratio)
        self.assertIn("429 × 275", ratio)
        self.assertNotIn("PASS", ratio)
        self.assertNotIn("78 %", ratio)  # no ratio is given for it
        errors = next(line for line in lines if line.startswith("| proxy non-stream: errors"))
        self.assertIn("INVALID", errors)
        table = "\n".join(bench.results_table(results))
        self.assertIn("proxy non-stream (INVALID) | 32", table)

    def test_slow_streams_are_judged_per_stream(self):
        lines = bench.derived_lines(clean_run(), [1, 32], [], 0, slow_streams())
        rss = next(line for line in lines if "(RSS growth ÷ N)" in line)
        self.assertIn("| 20.0 KiB | ≤ 24 KiB | PASS |", rss)

    def test_slow_streams_with_errors_are_invalid_never_a_pass(self):
        slow = slow_streams(statuses={200: 4988, 503: 10}, kinds={"closed before a delta": 2})
        lines = bench.derived_lines(clean_run(), [1, 32], [], 0, slow)
        rows = [line for line in lines if "slow streams" in line]
        self.assertEqual(len(rows), 1)  # no figure is given for it
        self.assertIn("INVALID", rows[0])
        self.assertIn("503 × 10", rows[0])
        self.assertIn("closed before a delta × 2", rows[0])
        self.assertNotIn("PASS", rows[0])
        self.assertNotIn("20.0 KiB", rows[0])


if __name__ == "__main__":
    unittest.main()
