"""Pure rules of the marketplace: no I/O, safe to import inside workflows."""
