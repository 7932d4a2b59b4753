"""Redact a document's `metadata` as a redaction mode asks, before it is stored, reported or
sent in an alert.

A metadata value is a bare value ("Odile Vasseur"), not a sentence: the cue rules that find a
name in a comment have nothing to read there, so the key is the cue. A string under a key that
names a person's name, e-mail, phone or address ("customer_name", "email", "no_telefon",
"adresse") is personal data whole; any other string is searched like a comment ("called from
+33 6 12 34 56 78"). Numbers, booleans and strings with no personal data (segment, channel,
score, date) are kept: reports group by them.

`customer_id` is kept as sent: it is how `POST /v1/erasure` finds a customer's documents and
alerts (it is an identifier the deployment chose, not a name). Under "mask" each value is
masked like text ("[NAME]", "[EMAIL]"); under "drop_text" a string holding personal data is
dropped (None) rather than masked, as that mode promises that no trace of the text leaves
voc, while the strings without personal data stay for the report's segments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from voc.nlp.pii import PiiSpan, detect, mask

KEPT_KEYS = frozenset({"customer_id"})
"""Keys kept as sent whatever the mode: the identifiers erasure matches on."""
_KEY_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NAME_WORDS = {
    "name", "names", "nom", "nama", "prenom", "prénom", "surname", "firstname", "lastname",
    "fullname", "forename", "nickname",
}  # fmt: skip
_PERSON_WORDS = {
    "customer", "client", "contact", "user", "full", "first", "last", "given", "family",
    "agent", "staff", "sender", "author", "reviewer", "respondent", "caller", "pelanggan",
    "pengguna", "de", "du", "famille", "penuh", "lengkap", "my", "your", "display",
}  # fmt: skip
"""Words that may stand beside a name word in a person's-name key ("customer_name",
"nom_de_famille", "nama_lengkap"); any other ("product_name", "store_name") is not a person."""
_TYPED_KEYS = {
    "EMAIL": {"email", "mail", "courriel", "emel", "surel"},
    "PHONE": {
        "phone", "tel", "telephone", "téléphone", "mobile", "portable", "telefon", "telepon",
        "hp", "handphone", "whatsapp", "wa", "msisdn", "cell", "gsm",
    },
    "ADDRESS": {"address", "adresse", "alamat", "street", "rue", "jalan"},
}  # fmt: skip


def redact_metadata(metadata: Mapping[str, Any], mode: str) -> dict[str, Any]:
    """`metadata` as `mode` ("none", "mask", "drop_text") lets it be stored or sent."""
    if mode == "none" or not metadata:
        return dict(metadata)
    return {
        key: value if key in KEPT_KEYS else _redact(value, _key_type(key), mode)
        for key, value in metadata.items()
    }


def _redact(value: Any, kind: str | None, mode: str) -> Any:
    if isinstance(value, list):
        return [_redact(item, kind, mode) for item in value]
    if isinstance(value, dict):
        return {k: _redact(v, _key_type(k) or kind, mode) for k, v in value.items()}
    if kind and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a phone number sent as a number is still a phone number
    if not isinstance(value, str) or not value.strip():
        return value
    spans = [PiiSpan(0, len(value), kind)] if kind else detect(value)
    if not spans:
        return value
    return mask(value, spans)[0] if mode == "mask" else None


def _key_type(key: str) -> str | None:
    """The personal-data type a key names ("NAME" for "customer_name"), or None."""
    words = {w.lower() for w in _KEY_WORD.findall(_CAMEL.sub("_", key))}
    for kind, typed in _TYPED_KEYS.items():
        if words & typed:
            return kind
    if words & _NAME_WORDS and words <= _NAME_WORDS | _PERSON_WORDS:
        return "NAME"
    return None
