"""Benchmarks: `python -m bench <area>` prints medians and ratios measured in one run."""
