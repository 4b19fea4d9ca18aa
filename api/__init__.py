"""The thin HTTP layer: authenticate, validate, then start or update a workflow, or read rows."""
