"""What the report.py tests share: Google Benchmark aggregate entries made up for a test, and a
check that fails the test with a message."""
import sys


def aggregates(name, median_ms, cv=0.02, extra=None, reps=9):
    """The median, mean, stddev and cv entries Google Benchmark writes for one benchmark; `extra`
    (counters) rides on the median and the mean."""
    base = {"run_name": name, "run_type": "aggregate", "repetitions": reps, "time_unit": "ms"}
    extra = extra or {}
    return [dict(base, aggregate_name="median", real_time=median_ms, **extra),
            dict(base, aggregate_name="mean", real_time=median_ms, **extra),
            dict(base, aggregate_name="stddev", real_time=median_ms * cv),
            dict(base, aggregate_name="cv", real_time=cv)]


def check(condition, message):
    if not condition:
        print("FAILED:", message)
        sys.exit(1)
