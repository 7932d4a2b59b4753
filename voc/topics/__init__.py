"""Topic discovery: BERTopic on voc's own clause embeddings, stable ids, analyst edits.

fit.py (BERTopic fit), align.py (ids across refits), edits.py (rename/merge/split), store.py
(versions on disk), pipeline.py (fit from raw texts with the Analyzer), stopwords.py. The
fitted model and online assignment are the library's (`voc.nlp.topic_model`,
`voc.nlp.topic_assignment`): the Analyzer applies them, this package makes them.
"""
