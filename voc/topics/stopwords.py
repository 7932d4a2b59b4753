"""Stop words for topic keywords in en/fr/id/ms, kept as data beside this module.

spaCy's lists for English, French and Indonesian, a Malay list, informal Indonesian/Malay forms
("gak", "tak", "yg", "dgn", ...) and redaction marks; minus a few content words that spaCy
lists but that name a complaint ("lewat", late). One union serves every language: a corpus
mixes them and c-TF-IDF runs over one vocabulary.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "stopwords"


def _read_list(name: str) -> set[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return {w.strip().lower() for w in lines if w.strip() and not w.startswith("#")}


def _spacy_list(language: str) -> set[str]:
    """spaCy's stop words for `language`, read from their module alone: importing them the
    usual way imports spaCy and its language classes first (5.7 s of a 100,000-unit topic fit
    whose process had not loaded spaCy)."""
    spacy = importlib.util.find_spec("spacy")
    if spacy is None or not spacy.submodule_search_locations:
        raise ModuleNotFoundError("spaCy is required for topic stop words")
    path = Path(spacy.submodule_search_locations[0]) / "lang" / language / "stop_words.py"
    spec = importlib.util.spec_from_file_location(f"_voc_stop_words_{language}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.STOP_WORDS)


@cache
def stop_words() -> frozenset[str]:
    """Every word that must not become a topic keyword (lower-cased)."""
    words = _spacy_list("en") | _spacy_list("fr") | _spacy_list("id")
    words |= _read_list("ms.txt") | _read_list("informal.txt") | _read_list("extra.txt")
    # French elisions are tokenised apart ("l'", "qu'"): their stems are stop words too.
    words |= {w.split("'")[0] for w in words if "'" in w}
    # Hyphenated and elided entries ("berkali-kali", "we'll") as the vectorizer tokenises them.
    words |= {part for w in words for part in re.findall(r"[^\W\d_]{2,}", w)}
    return frozenset(w.lower() for w in words) - _read_list("keep.txt")
