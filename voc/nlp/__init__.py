"""The analysis library. It knows nothing of HTTP, the registry or the database; `Analyzer` is
its public entry point."""
