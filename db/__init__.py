"""Tables, engine and sessions, the same code on SQLite and PostgreSQL."""
