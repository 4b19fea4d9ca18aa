"""The thin HTTP layer: authenticate, validate, then start/update a workflow or read the database."""
