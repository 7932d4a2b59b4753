"""Topic discovery: BERTopic on voc's own clause embeddings, stable ids, analyst edits.

fit.py (BERTopic fit), model.py (the saved model and online assignment), corpus.py (documents
<-> clause units), align.py (ids across refits), edits.py (rename/merge/split), store.py
(versions on disk), pipeline.py (fit from raw texts with the Analyzer), stopwords.py.
"""
