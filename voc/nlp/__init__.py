"""The analysis library. It knows nothing of HTTP; `Analyzer` is its public entry point."""
