"""Durable batch jobs: streaming ingest, a chunked job store, workers, and offline engines."""
