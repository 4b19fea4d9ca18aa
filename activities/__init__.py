"""Thin Temporal wrappers around services/: one transaction or one gateway call each."""
