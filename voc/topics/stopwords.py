"""Stop words for topic keywords in en/fr/id/ms, kept as data beside this module.

spaCy's lists for English, French and Indonesian, a Malay list, informal Indonesian/Malay forms
("gak", "tak", "yg", "dgn", ...) and redaction marks; minus a few content words that spaCy
lists but that name a complaint ("lewat", late). One union serves every language: a corpus
mixes them and c-TF-IDF runs over one vocabulary.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "stopwords"


def _read_list(name: str) -> set[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return {w.strip().lower() for w in lines if w.strip() and not w.startswith("#")}


@cache
def stop_words() -> frozenset[str]:
    """Every word that must not become a topic keyword (lower-cased)."""
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR
    from spacy.lang.id.stop_words import STOP_WORDS as ID

    words = set(EN) | set(FR) | set(ID)
    words |= _read_list("ms.txt") | _read_list("informal.txt") | _read_list("extra.txt")
    # French elisions are tokenised apart ("l'", "qu'"): their stems are stop words too.
    words |= {w.split("'")[0] for w in words if "'" in w}
    # Hyphenated and elided entries ("berkali-kali", "we'll") as the vectorizer tokenises them.
    words |= {part for w in words for part in re.findall(r"[^\W\d_]{2,}", w)}
    return frozenset(w.lower() for w in words) - _read_list("keep.txt")
