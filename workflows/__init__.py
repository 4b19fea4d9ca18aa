"""Orchestration only: no I/O here, activities do the work."""
