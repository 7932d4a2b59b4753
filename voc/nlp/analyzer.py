"""Analyzer: runs the components over batches of feedback. The only public entry for analysis.

Each text is embedded once (documents and their sentences/clauses in one batched encoder
call); the components read those vectors.
"""
