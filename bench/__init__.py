"""Benchmarks of the order engine; `python bench/lifecycle.py` runs the lifecycle one."""
