"""Language identification: en, fr, id, ms, and any other language reported as unsupported.

Two stages. py3langid (about 97 languages, trained on broad corpora) says whether a text is in
some other language; it is trusted only when it is confident and the text is long enough,
because short informal text ("tak best lah", "pas terrible") fools it. Among en/fr/id/ms a
linear classifier trained here on hashed character and word n-grams decides, fused log-linearly
with py3langid's own four-way probabilities (the two err on different texts).

Indonesian vs Malay is the hard pair, and the labelled data confounds it: most Malay is news and
machine-translated reviews, most Indonesian is tweets and shop reviews, so a plain classifier
learns "informal or e-commerce means Indonesian". Training therefore adds rewritten copies (Malay
made colloquial, Indonesian made colloquial or formal, chat abbreviations in both, each rewritten
into the other variety with a word dictionary, and Malay/Indonesian mixed with customer-feedback
English) so that style, domain and English loanwords stop predicting the label; lists of words
that mark each variety in informal writing (tak, nak, dah, je / gak, udah, banget, sih) add a
feature and a small term to the decision. Links, @handles and e-mail addresses are removed first.
The artifact is safetensors + JSON, never pickle.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file

from voc.nlp.artifacts import save_tensors
from voc.nlp.cards import markdown_table, write_card
from voc.nlp.datasets import Example, file_fingerprint, iter_examples
from voc.nlp.types import SUPPORTED_LANGUAGES, Language

WEIGHTS = "classifier.safetensors"
CONFIG = "config.json"
CARD = "CARD.md"
LABELS = SUPPORTED_LANGUAGES
UNDETERMINED = Language("und", 0.0, False)

TRAINING_FILES = (
    "en_bitext_customer_support.jsonl",
    "en_cfpb_complaints_sample.jsonl",
    "en_uci_sentiment_labelled_sentences.jsonl",
    "mams_absa_en.jsonl",
    "semeval14_absa_en.jsonl",
    "semeval15_absa_en.jsonl",
    "semeval16_absa_en.jsonl",
    "fr_allocine_tvseries_sentiment.jsonl",
    "fr_tripadvisor_restaurants_absa.jsonl",
    "id_prdect_tokopedia.jsonl",
    "indonlu_casa.jsonl",
    "indonlu_hoasa.jsonl",
    "indonlu_smsa.jsonl",
    "nusax_senti_en_id.jsonl",
    "ms_news_sentiment.jsonl",
    "ms_translated_uci_sentences.jsonl",
    "ms_shopee_my_cililado_reviews.jsonl",
    "id_shopee_app_reviews_gplay.jsonl",
    "en_complaints_social_media.jsonl",
)

FEATURES = {
    "char_analyzer": "char_wb",
    "char_ngram_range": [1, 4],
    "word_ngram_range": [1, 2],
    "token_pattern": r"(?u)\b\w+\b",
    "n_features": 2**18,
    "lowercase": True,
    "markers": True,
    "hashing": "murmurhash3_32(gram, positive=True) % n_features; log1p counts; L2 norm",
}
"""Hashed char_wb 1-4-grams plus word unigrams in one bucket space (see `HashedNgrams`), plus
one pseudo-word per Malay or Indonesian marker word (`MS_MARKERS`, `ID_MARKERS`)."""

DECISION = {
    "py3langid_weight": 0.5,
    "supported_min_markers": 2,
    "other_min_confidence": 0.7,
    "other_max_supported_mass": 0.05,
    "other_min_letters": 10,
    "latin_min_share": 0.5,
    "marker_weight": 0.25,
}
"""Chosen on the dev splits, the hand-written tuning set (tests/data/language_colloquial.jsonl)
and spaCy's example sentences in other languages (see the card). py3langid's log-probabilities
weigh `py3langid_weight` in the four-way fusion (weighing its Indonesian/Malay split less
gained colloquial Malay only by losing Indonesian app reviews left out of training). A
Latin-script text is another language when py3langid's top label is not one of the four, the
text has at least `other_min_letters` letters and fewer than `supported_min_markers` Malay or
Indonesian marker words, and either that label has `other_min_confidence` or the four
together hold at most `other_max_supported_mass` (an unconfident "zxx" never counts). A text
whose letters are mostly not Latin is never en/fr/id/ms. Each Malay marker word adds
`marker_weight` to Malay's log-score and takes it from Indonesian's, and each Indonesian one
the reverse (chosen on the Malay Shopee leave-one-dataset-out fold and the dev splits)."""

TRAINING = {
    "loss": "log_loss",
    "alpha": 1e-6,
    "max_iter": 30,
    "colloquial_rate": 0.7,
    "particle_rate": 0.3,
    "formal_rate": 0.9,
    "blocker_min_count": 10,
    "fragment_max_words": 5,
    "ms_colloquial_copies": 2,
    "abbreviation_rate": 0.15,
    "code_switch_rate": 0.5,
    "code_switch_word_rate": 0.25,
}

# Word tables, "word:choice|choice; ...". Sources: standard Malaysian and Indonesian usage.
MS_COLLOQUIAL_SPEC = """
tidak:tak|x|tak; tidak ada:takde|tak ada|xde; tiada:takde|tak ada; hendak:nak|nk; mahu:nak|nk;
ini:ni; itu:tu; sudah:dah|dh; telah:dah; sahaja:je|saja|jer; hanya:cuma; sedikit:sikit;
begitu:camtu|macam tu; begini:camni|macam ni; bagaimana:macam mana|camne; mengapa:kenapa|apasal;
seperti:macam; di:kat; pada:kat; mereka:diorang|dorang; kami:kitorang; kamu:korang|awak;
anda:korang|awak; juga:jugak; sangat:sangat|gila|giler|sgt|sungguh; yang:yg; dengan:dgn|ngan;
belum:belum|blum|blm;
sekarang:skrg|sekarang ni; saya:saya|aku|sy; bagus:best|bagus|padu; tetapi:tapi|tp; lagi:lagi|lg;
dapat:dapat|dpt; barang:barang|brg; sebab:sebab|sbb; untuk:utk; dalam:dalam|dlm; bukan:bukan|bkn;
terima kasih:terima kasih|tq|thanks; kenapa:kenapa|apesal|nape|knp; pula:pulak;
apa:apa|ape; boleh:boleh|leh|blh; memang:memang|mmg; nanti:nanti|nnt; betul:betul|btul;
lepas itu:pastu|lepastu; kecil:kecik; buka:bukak; beritahu:bagitahu|bagitau|bgtau;
tidak apa:takpe|xpe|takpa; lambat:lambat|lmbt; cantik:cantik|lawa|cun; pergi:pergi|gi;
pun:pun|pon; tidak boleh:tak boleh|x boleh|tak leh
"""
MS_PARTICLES = ("lah", "la", "je", "kot", "ke", "tau", "weh", "eh", "jer", "ni")
ID_COLLOQUIAL_SPEC = """
tidak:gak|nggak|ga|enggak|gk; tidak ada:gak ada|nggak ada; sudah:udah|udh; telah:udah; saja:aja;
hanya:cuma; sangat:banget|bgt; sedikit:dikit; begitu:gitu; begini:gini; bagaimana:gimana;
mengapa:kenapa|knp; seperti:kayak|kaya; dengan:sama|dgn; yang:yg; terima kasih:makasih;
karena:karna|krn; belum:blm; sekarang:skrg|sekarang; saya:aku|gue|sy; membuat:bikin;
memberi:kasih; tetapi:tapi|tp; mau:mau|mo; bagus:bagus|keren|mantap; barang:barang|brg;
dari:dari|dr; jadi:jadi|jd; untuk:utk; dalam:dalam|dlm; memang:emang|emg; kalau:kalo|klo;
datang:dateng; sampai:nyampe|sampe; dapat:dapet|dpt; cepat:cepet; benar:bener; pakai:pake;
tidak bisa:gak bisa|gabisa|ga bisa; tidak mau:gak mau|gamau; lihat:liat; berkata:bilang;
menunggu:nunggu; mengirim:ngirim; pesan:pesan|pesen; malas:males; lelah:capek; nanti:ntar|nanti;
balas:bales; dibalas:dibales; senang:seneng; mengerti:ngerti; hanya saja:cuman
"""
ID_PARTICLES = ("sih", "dong", "deh", "kok", "nih", "ya", "lho", "tuh", "loh", "yah")

# Words that mark one variety in informal writing (standard Malaysian / Indonesian usage, not
# taken from any evaluation text). Each occurrence adds one shared pseudo-word, so a marker the
# training rows rarely show still counts like the frequent ones.
MS_MARKER_SPEC = """
tak takde xde nak nk dah dh je jer kat camni camtu camne apesal apasal nape pulak jugak
sikit korang diorang dorang kitorang awak kerana sahaja mahu wang teruk rosak kedai
penghantaran hantar dihantar tempahan selesa tengok faham cuba baiki kereta pejabat
syarikat kualiti perkhidmatan aduan bayaran dipulangkan saiz kasut seluar bilik tandas sgt
giler haritu berbaloi berpatutan best padu hampeh mmg tgk bkn sbb sedap pon aje dkt pastu mcm
cun tapau x ker kot weh teksi cakap isnin khamis jumaat ahad esok kemas bil akaun caj telefon
fon emel bagitahu bagitau bgtau takpe xpe takpa ape reti kecik bukak lembap tahniah elok mesra
lawa leceh songeh cikai membazir jangkaan kaunter cawangan beratur boleh lmbt nnt
"""
MS_MARKERS = frozenset(MS_MARKER_SPEC.split())
ID_MARKER_SPEC = """
gak nggak ga enggak gk udah udh aja banget bgt dong sih kok deh nih gimana gitu gini kayak
bikin makasih karena karna bisa uang rusak toko pengiriman dikirim kirim gratis nyaman enak
coba pikir paham kapan mobil kantor perusahaan kualitas pelayanan nyampe sampe dapet pake
emang emg kalo bener telat lumayan parah keren gue gw jelek ongkir mantul cepet dateng
kemarin besok ukuran sepatu celana kamar gmn krn ribet lemot mending pengen nyesel kapok gan
liat bilang ngga engga gaada gada gabisa doang kayaknya ngasih ngerti nunggu pesen resi kurir mau
cuman mulu males capek tuh loh lho yah bales dibales ntar seneng ngirim
"""
ID_MARKERS = frozenset(ID_MARKER_SPEC.split())
MARKER_WORDS = {"ms": MS_MARKERS, "id": ID_MARKERS}
_MARKER_OF = {w: lang for lang, words in MARKER_WORDS.items() for w in words}
_SQUEEZE = re.compile(r"(\w)\1+")


def marker_variety(word: str) -> str | None:
    """ "ms" or "id" for a marker word (also spelt with letters repeated: "dahh", "bangettt").
    Only a word with a letter repeated is squeezed: searching is cheaper than substituting."""
    found = _MARKER_OF.get(word)
    if found is None and _SQUEEZE.search(word):
        found = _MARKER_OF.get(_SQUEEZE.sub(r"\1", word))
    return found


ENGLISH_LOAN_SPEC = """
delivery seller order refund item packing service customer quality ok okay best worth it
fast slow cancel update app error login voucher free shipping size tracking parcel staff
recommended overall thank you price cheap expensive nice good bad the product really so
very sure please check stock sale promo return chat reply admin rider support online
payment account i you my already but can how sorry pls
"""
ENGLISH_LOANS = tuple(ENGLISH_LOAN_SPEC.split())
"""Customer-feedback English that Malay and Indonesian writers mix in ("barang ok tapi delivery
lambat"); code-switched training copies put these into ms/id texts under their own label."""
ID_TO_MS_SPEC = """
tidak:tidak|tak; gak:tak; nggak:tak; ga:tak; enggak:tak; gk:tak; tdk:tak; karena:kerana|sebab;
krn:sebab; karna:sebab; bisa:boleh; mau:mahu|nak; uang:wang|duit; kualitas:kualiti;
kualitasnya:kualitinya; pengiriman:penghantaran; dikirim:dihantar; kirim:hantar;
mengirim:menghantar; udah:dah; udh:dah; sudah:sudah|dah; saja:sahaja|je; aja:je|sahaja;
banget:sangat|sgt; bgt:sangat|sgt; jelek:teruk|buruk; rusak:rosak; mobil:kereta; kantor:pejabat;
perusahaan:syarikat; polisi:polis; kamar:bilik; toilet:tandas; handuk:tuala; sepatu:kasut;
celana:seluar; tas:beg; paket:bungkusan; kurir:penghantar; ongkir:kos penghantaran;
pelayanan:perkhidmatan|layanan; ramah:mesra; karyawan:pekerja|kakitangan;
pegawai:pegawai|kakitangan; gratis:percuma; pesanan:pesanan|tempahan; memesan:menempah;
pesan:order|tempah; coba:cuba; mencoba:mencuba; pikir:fikir; berpikir:berfikir; paham:faham;
ngerti:faham; mengerti:faham; liat:tengok; lihat:lihat|tengok; nonton:tengok; kapan:bila;
gimana:macam mana|camne; kayak:macam; gitu:macam tu; gini:macam ni; nih:ni; tuh:tu; gue:aku;
gw:aku; lu:kau; lo:kau; kalian:korang|kamu semua; bikin:buat; kasih:bagi; dapet:dapat;
pakai:guna|pakai; pake:guna; memakai:menggunakan; ukuran:saiz; ukurannya:saiznya; nyaman:selesa;
enak:sedap; dikit:sikit; makasih:terima kasih; telepon:telefon; telpon:telefon;
ditelpon:ditelefon; ponsel:telefon bimbit; pulsa:kredit; tagihan:bil; rekening:akaun;
akun:akaun; dikembalikan:dipulangkan; kembalikan:pulangkan; keluhan:aduan; mengeluh:mengadu;
sopir:pemandu; supir:pemandu; bis:bas; bus:bas; taksi:teksi; senin:isnin; kamis:khamis;
jumat:jumaat; kemarin:semalam; besok:esok; rapi:kemas; telat:lewat; terlambat:lewat;
bener:betul; benar:betul|benar; toko:kedai; tokonya:kedainya; diskon:diskaun; gede:besar;
lumayan:boleh tahan; keren:hebat|best; parah:teruk; nyampe:sampai; sampe:sampai;
tapi:tapi|tetapi; adalah:ialah|adalah; yaitu:iaitu; bahwa:bahawa; ketika:apabila|ketika;
setelah:selepas; sesudah:selepas; dari:dari|daripada; pemerintah:kerajaan; persen:peratus;
miliar:bilion; universitas:universiti; aktivitas:aktiviti; komunitas:komuniti; proyek:projek;
film:filem; musik:muzik; televisi:televisyen; kendaraan:kenderaan; pajak:cukai;
anggaran:bajet; biaya:kos|caj; rapat:mesyuarat; anggota:ahli; baru:baru|baharu;
cuma:cuma|hanya; bilang:kata|cakap; ngomong:cakap; bicara:bercakap; kalo:kalau; emang:memang;
banyak:banyak|ramai; sih:lah; dong:lah; deh:lah; apotek:farmasi; obat:ubat; dokter:doktor;
rumah sakit:hospital; kamar mandi:bilik air; pengembalian dana:bayaran balik;
sebentar:sekejap; cepet:cepat|laju; cepat:cepat|laju
"""
MS_TO_ID_SPEC = """
tak:tidak|gak; nak:mau; mahu:mau; dah:sudah|udah; je:saja|aja; sahaja:saja; ni:ini; tu:itu;
kat:di; kerana:karena; boleh:bisa; wang:uang; duit:uang; kualiti:kualitas;
kualitinya:kualitasnya; penghantaran:pengiriman; dihantar:dikirim; hantar:kirim;
menghantar:mengirim; teruk:parah|jelek; rosak:rusak; kereta:mobil; pejabat:kantor;
syarikat:perusahaan; polis:polisi; bilik:kamar; tandas:toilet; tuala:handuk; kasut:sepatu;
seluar:celana; beg:tas; bungkusan:paket; perkhidmatan:pelayanan|layanan; mesra:ramah;
kakitangan:karyawan|pegawai; percuma:gratis; tempahan:pesanan; menempah:memesan; cuba:coba;
mencuba:mencoba; fikir:pikir; berfikir:berpikir; faham:paham|ngerti; tengok:lihat|nonton;
bila:kapan; camne:gimana; macam:seperti|kayak; korang:kalian; saiz:ukuran; saiznya:ukurannya;
selesa:nyaman; sedap:enak; sikit:sedikit|dikit; telefon:telepon; ditelefon:ditelepon;
bil:tagihan; akaun:akun|rekening; dipulangkan:dikembalikan; pulangkan:kembalikan;
aduan:keluhan; mengadu:mengeluh; pemandu:sopir; bas:bus; teksi:taksi; isnin:senin;
khamis:kamis; jumaat:jumat; esok:besok; kemas:rapi; lewat:telat|terlambat; betul:benar;
kedai:toko; kedainya:tokonya; diskaun:diskon; ialah:adalah; iaitu:yaitu; bahawa:bahwa;
apabila:ketika; selepas:setelah|sesudah; daripada:dari; kerajaan:pemerintah; peratus:persen;
bilion:miliar; universiti:universitas; aktiviti:aktivitas; komuniti:komunitas; projek:proyek;
filem:film; muzik:musik; televisyen:televisi; kenderaan:kendaraan; cukai:pajak; bajet:anggaran;
kos:biaya; caj:biaya; mesyuarat:rapat; ahli:anggota; baharu:baru; cakap:bilang;
bercakap:bicara; ramai:banyak; ubat:obat; doktor:dokter; farmasi:apotek; sekejap:sebentar;
laju:cepat; hospital:rumah sakit; bilik air:kamar mandi; bayaran balik:pengembalian dana;
boleh tahan:lumayan; dasar:kebijakan; semalam:kemarin
"""
_TOKEN = re.compile(r"\w+(?:-\w+)*|\W+")
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+|@\w+")
_REPEATS = re.compile(r"(\w)\1{2,}")
_WORD = re.compile(r"\w+")
Table = dict[str, list[str]]


def clean_text(text: str) -> str:
    """Text without what carries no language: links, e-mail addresses, @handles, '#' of hashtags;
    letters repeated three times or more ("bagusss", "sooo") cut to two; NFKC, so styled
    letters (mathematical italic, fullwidth) read as plain ones."""
    text = _NOISE.sub(" ", unicodedata.normalize("NFKC", text)).replace("#", " ")
    return _REPEATS.sub(r"\1\1", text)


def parse_table(spec: str) -> Table:
    """ "a:b|c; d:e" -> {"a": ["b", "c"], "d": ["e"]}; keeps the tables readable in source."""
    table: Table = {}
    for entry in spec.split(";"):
        key, _, choices = entry.strip().partition(":")
        table[" ".join(key.split())] = [c.strip() for c in choices.split("|")]
    return table


def formal_table(colloquial: Table) -> Table:
    """Invert a standard -> colloquial table, keeping only forms that differ from the source."""
    inverse: Table = {}
    for standard, forms in colloquial.items():
        for form in forms:
            if form != standard and form not in colloquial and " " not in form:
                inverse.setdefault(form, [standard])
    return inverse


def rewrite(text: str, table: Table, rng: random.Random, *, rate: float = 1.0) -> str:
    """Lower-case `text` and replace table words (and their "-nya" forms) with a random choice.

    Each occurrence is replaced with probability `rate`; multi-word keys are replaced first.
    """
    text = text.lower()
    for phrase in (k for k in table if " " in k):
        if phrase in text and rng.random() < rate:
            text = text.replace(phrase, rng.choice(table[phrase]))
    out = []
    for token in _TOKEN.findall(text):
        base, suffix = token, ""
        if token not in table and token.endswith("nya") and token[:-3] in table:
            base, suffix = token[:-3], "nya"
        if base in table and rng.random() < rate:
            token = rng.choice(table[base]) + suffix
        out.append(token)
    return " ".join("".join(out).split())


def colloquial(
    text: str,
    table: Table,
    particles: Sequence[str],
    rng: random.Random,
    *,
    rate: float,
    particle_rate: float,
) -> str:
    """Informal copy of a text: contractions, sometimes a closing particle ("lah", "sih")."""
    out = rewrite(text, table, rng, rate=rate)
    if rng.random() < particle_rate:
        out = f"{out.rstrip('.!? ')} {rng.choice(particles)}"
    return out


def blocking_words(
    examples: Iterable[tuple[str, str]], source: str, target: str, table: Table, *, min_count: int
) -> set[str]:
    """Words frequent in `source`, never seen in `target` and not in `table`.

    A text holding one is not rewritten into `target`: the copy would keep a word of the
    source variety under the target's label.
    """
    seen: dict[str, Counter[str]] = {source: Counter(), target: Counter()}
    for text, lang in examples:
        if lang in seen:
            seen[lang].update(set(_WORD.findall(text.lower())))
    return {
        w
        for w, n in seen[source].items()
        if n >= min_count and not seen[target][w] and w not in table and not w.isdigit()
    }


def augment(examples: Sequence[tuple[str, str]], *, seed: int) -> list[tuple[str, str]]:
    """Rewritten id/ms copies that break the style/domain shortcut, plus short fragments."""
    rng = random.Random(seed)
    ms_colloquial, id_colloquial = parse_table(MS_COLLOQUIAL_SPEC), parse_table(ID_COLLOQUIAL_SPEC)
    id_formal = formal_table(id_colloquial)
    to_ms, to_id = parse_table(ID_TO_MS_SPEC), parse_table(MS_TO_ID_SPEC)
    min_count = TRAINING["blocker_min_count"]
    block_id = blocking_words(examples, "id", "ms", to_ms, min_count=min_count)
    block_ms = blocking_words(examples, "ms", "id", to_id, min_count=min_count)
    informal = {"rate": TRAINING["colloquial_rate"], "particle_rate": TRAINING["particle_rate"]}
    out = []
    for text, lang in examples:
        words = set(_WORD.findall(text.lower()))
        if lang == "ms":
            for _ in range(TRAINING["ms_colloquial_copies"]):
                informal_ms = colloquial(text, ms_colloquial, MS_PARTICLES, rng, **informal)
                out.append((abbreviate(informal_ms, rng), "ms"))
            if not words & block_ms:
                out += _changed(text, rewrite(text, to_id, rng), "id")
        elif lang == "id":
            informal_id = colloquial(text, id_colloquial, ID_PARTICLES, rng, **informal)
            out.append((abbreviate(informal_id, rng), "id"))
            out.append((rewrite(text, id_formal, rng, rate=TRAINING["formal_rate"]), "id"))
            if not words & block_id:
                out += _changed(text, rewrite(text, to_ms, rng), "ms")
    out += code_switched(examples, rng)
    return out + fragments([*examples, *out], rng, max_words=TRAINING["fragment_max_words"])


def abbreviate(text: str, rng: random.Random) -> str:
    """Chat spelling: inner vowels dropped from some longer words ("sampai" -> "smpai",
    "dengan" -> "dngn"), in both varieties alike, so that style is no cue to either."""
    rate = TRAINING["abbreviation_rate"]

    def shorten(word: str) -> str:
        if len(word) < 5 or not word.isalpha() or rng.random() >= rate:
            return word
        inner = "".join(c for c in word[1:-1] if c not in "aeiou" or rng.random() < 0.5)
        return word[0] + inner + word[-1]

    return " ".join(shorten(w) for w in text.split())


def _changed(text: str, copy: str, lang: str) -> list[tuple[str, str]]:
    """The copy in the other variety, unless the dictionary changed no word: the same text
    under both labels ("sangat membantu") would only teach that shared words mean `lang`."""
    return [] if copy == " ".join(text.lower().split()) else [(copy, lang)]


def code_switched(examples: Sequence[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """Malay and Indonesian copies with some words swapped for customer-feedback English.

    A text mostly in Malay with English words is Malay; without these copies every English word
    pulls the decision towards English and the Malay-vs-Indonesian cues get diluted.
    """
    out = []
    for text, lang in examples:
        words = text.split()
        if (
            lang not in ("ms", "id")
            or len(words) < 3
            or rng.random() >= TRAINING["code_switch_rate"]
        ):
            continue
        rate = TRAINING["code_switch_word_rate"]
        mixed = [rng.choice(ENGLISH_LOANS) if rng.random() < rate else w for w in words]
        out.append((" ".join(mixed), lang))
    return out


def fragments(
    examples: Sequence[tuple[str, str]], rng: random.Random, *, max_words: int
) -> list[tuple[str, str]]:
    """A random run of 1..max_words words from each longer text.

    Feedback is often one to five words ("merci", "tak best"), while the labelled texts are
    sentences and reviews; without these a lone word is scored like a diluted long text.
    """
    out = []
    for text, lang in examples:
        words = text.split()
        if len(words) > max_words:
            n = rng.randint(1, max_words)
            start = rng.randrange(len(words) - n + 1)
            out.append((" ".join(words[start : start + n]), lang))
    return out


def char_wb_grams(token: str, low: int, high: int) -> list[str]:
    """The n-grams, low <= n <= high, that sklearn's "char_wb" analyzer takes from one token
    (no whitespace, already lower-cased), in one comprehension: the analyzer's per-call set-up
    costs more than a short word's grams. The token is padded with a space each side; a
    padded token no longer than n gives itself once, and the longer n are skipped."""
    padded = f" {token} "
    size = len(padded)
    grams = [
        padded[i : i + n] for n in range(low, min(high, size - 1) + 1) for i in range(size - n + 1)
    ]
    if size <= high:
        grams.append(padded)
    return grams


class _Buckets(dict[str, int]):
    """gram -> bucket for one batch: each distinct gram is hashed once, however often it
    occurs (grams repeat across words and texts)."""

    def __init__(self, hash_: Callable[..., int], n_features: int) -> None:
        super().__init__()
        self._hash = hash_
        self._n_features = n_features

    def __missing__(self, gram: str) -> int:
        bucket = self[gram] = self._hash(gram, positive=True) % self._n_features
        return bucket


class HashedNgrams:
    """char_wb n-grams plus words, hashed (murmurhash3) into buckets; log1p counts, L2 norm.

    Training uses the same code, so serving cannot drift from it. Stateless between calls.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.utils import murmurhash3_32

        if settings["char_analyzer"] != "char_wb":
            raise ValueError(f"char_analyzer {settings['char_analyzer']!r}: only char_wb")
        self.n_features = settings["n_features"]
        self._markers = settings.get("markers", False)
        self._hash = murmurhash3_32
        self._char_range = tuple(settings["char_ngram_range"])
        self._lowercase = settings["lowercase"]
        self._words = HashingVectorizer(
            analyzer="word",
            ngram_range=tuple(settings["word_ngram_range"]),
            token_pattern=settings["token_pattern"],
            lowercase=settings["lowercase"],
        ).build_analyzer()

    def _word_buckets(self, gram: str, buckets: _Buckets) -> tuple[int, ...]:
        """A word (bi)gram's bucket, then its marker pseudo-word's ("\x01ms", "\x01id") if it
        is a marker word of that variety (never a bigram: no marker holds a space)."""
        lang = marker_variety(gram) if self._markers and " " not in gram else None
        return (buckets[gram], buckets[f"\x01{lang}"]) if lang else (buckets[gram],)

    def _token_buckets(self, token: str, buckets: _Buckets) -> tuple[int, ...]:
        """Buckets of the char_wb n-grams of one whitespace-separated token: char_wb pads and
        cuts each token on its own, so the text's grams are its tokens' grams together."""
        token = token.lower() if self._lowercase else token
        return tuple(map(buckets.__getitem__, char_wb_grams(token, *self._char_range)))

    def entries(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, buckets, weights) of the nonzero cells of `matrix(texts)`, sorted by row
        then bucket: scoring needs no sparse matrix, whose setup costs more than a short
        text's features.

        Tokens and words repeat across texts, so each distinct one is analysed and hashed once
        per call; the counting runs on the whole batch at once.
        """
        hashed = _Buckets(self._hash, self.n_features)
        tokens: dict[str, tuple[int, ...]] = {}
        words: dict[str, tuple[int, ...]] = {}
        buckets: list[int] = []
        lengths = []
        for text in texts:
            before = len(buckets)
            for token in text.split():
                found = tokens.get(token)
                if found is None:
                    found = tokens[token] = self._token_buckets(token, hashed)
                buckets.extend(found)
            for word in self._words(text):
                found = words.get(word)
                if found is None:
                    found = words[word] = self._word_buckets(word, hashed)
                buckets.extend(found)
            lengths.append(len(buckets) - before)
        cells = np.repeat(np.arange(len(texts), dtype=np.int64), lengths) * self.n_features
        cells, counts = np.unique(cells + np.array(buckets, dtype=np.int64), return_counts=True)
        rows, weights = cells // self.n_features, np.log1p(counts)
        norms = np.sqrt(np.bincount(rows, weights=weights**2, minlength=len(texts)))
        return rows, cells % self.n_features, weights / norms[rows]

    def matrix(self, texts: Sequence[str]) -> Any:
        """Sparse (len(texts), n_features) matrix, for training."""
        from scipy.sparse import csr_matrix

        rows, buckets, weights = self.entries(texts)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(texts)))])
        return csr_matrix((weights, buckets, indptr), shape=(len(texts), self.n_features))


def marker_balance(texts: Sequence[str]) -> np.ndarray:
    """(n, 4): per text, Malay minus Indonesian marker words in the ms column, the opposite in
    the id column, zero elsewhere."""
    out = np.zeros((len(texts), len(LABELS)))
    ms, id_ = LABELS.index("ms"), LABELS.index("id")
    varieties = _Varieties()
    for row, text in enumerate(texts):
        found = markers_in(text, varieties)
        balance = found.count("ms") - found.count("id")
        out[row, ms], out[row, id_] = balance, -balance
    return out


class _Varieties(dict[str, str | None]):
    """word -> `marker_variety(word)` for one batch: words repeat across texts, so each
    distinct one is looked up once."""

    def __missing__(self, word: str) -> str | None:
        lang = self[word] = marker_variety(word)
        return lang


def markers_in(text: str, varieties: dict[str, str | None] | None = None) -> list[str]:
    """The variety ("ms" or "id") of each marker word of `text`, in order; `varieties` (a
    `_Varieties`) shares the look-ups between the texts of a batch."""
    lookup = (_Varieties() if varieties is None else varieties).__getitem__
    return [lang for lang in map(lookup, _WORD.findall(text.lower())) if lang]


def letter_counts(text: str) -> tuple[int, int]:
    """(letters, Latin letters): the script test that needs no model. Only non-ASCII letters
    need their Unicode name looked up, and most feedback has none."""
    letters = sum(map(str.isalpha, text))
    if text.isascii():
        return letters, letters
    other = [c for c in text if not c.isascii() and c.isalpha()]
    return letters, letters - sum(1 for c in other if "LATIN" not in unicodedata.name(c, ""))


class LanguageIdentifier:
    """py3langid gate for other languages, then a fused four-way decision among en/fr/id/ms."""

    def __init__(
        self,
        *,
        coef: np.ndarray,
        intercept: np.ndarray,
        config: dict[str, Any],
        version: str,
        langid: Any,
    ) -> None:
        self.coef_t = np.ascontiguousarray(coef.T, dtype=np.float32)  # (n_features, 4)
        self.intercept = intercept.astype(np.float32)
        self.decision = config["decision"]
        self.version = version
        self.features = HashedNgrams(config["features"])
        self._langid = langid
        self._supported = set(LABELS)

    @classmethod
    def load(cls, artifact_dir: Path) -> LanguageIdentifier:
        """Read the safetensors weights and JSON config; py3langid loads here, not at import."""
        from py3langid.langid import MODEL_FILE
        from py3langid.langid import LanguageIdentifier as Py3LangId

        config = json.loads((artifact_dir / CONFIG).read_text())
        if tuple(config["labels"]) != LABELS:
            raise ValueError(f"{artifact_dir}: labels {config['labels']} != {LABELS}")
        raw = (artifact_dir / WEIGHTS).read_bytes()
        tensors = load_file(artifact_dir / WEIGHTS)
        return cls(
            coef=tensors["coef"],
            intercept=tensors["intercept"],
            config=config,
            version=f"language@{hashlib.sha256(raw).hexdigest()[:8]}",
            langid=Py3LangId.from_model_file(MODEL_FILE, norm_probs=True),
        )

    def identify(self, texts: list[str]) -> list[Language]:
        """One `Language` per text, same order; "und" for text without letters."""
        texts = [clean_text(t) for t in texts]
        results: list[Language | None] = [None] * len(texts)
        pending: list[tuple[int, dict[str, float]]] = []
        for i, text in enumerate(texts):
            letters, latin = letter_counts(text)
            if not letters:
                results[i] = UNDETERMINED
                continue
            ranking = self.rank(text)
            other = self._other_language(text, ranking, letters, latin)
            if other is not None:
                results[i] = other
            else:
                pending.append((i, ranking))
        if pending:
            decided = self._four_way([texts[i] for i, _ in pending], [r for _, r in pending])
            for (i, _), language in zip(pending, decided, strict=True):
                results[i] = language
        return [r if r is not None else UNDETERMINED for r in results]

    def _other_language(
        self, text: str, ranking: dict[str, float], letters: int, latin: int
    ) -> Language | None:
        """An unsupported language when the script or a confident py3langid says so.

        Not for a Latin-script text holding `supported_min_markers` Malay or Indonesian marker
        words ("seneng banget, murah sih" is Indonesian with Javanese words, not Javanese),
        nor when py3langid's best guess is "no language" (zxx) without confidence: chat
        shorthand without vowels ("sy x dpt lg brg") looks like that to it."""
        d = self.decision
        if latin < d["latin_min_share"] * letters:
            code, p = max(
                ((c, p) for c, p in ranking.items() if c not in self._supported),
                key=lambda cp: cp[1],
            )
            return UNDETERMINED if code == "zxx" else Language(code, p, False)
        code = max(ranking, key=ranking.__getitem__)
        if code in self._supported or letters < d["other_min_letters"]:
            return None
        if len(markers_in(text)) >= d.get("supported_min_markers", float("inf")):
            return None
        if code == "zxx" and ranking[code] < d["other_min_confidence"]:
            return None
        supported_mass = sum(ranking.get(c, 0.0) for c in LABELS)
        if ranking[code] < d["other_min_confidence"] and (
            supported_mass > d["other_max_supported_mass"]
        ):
            return None
        return UNDETERMINED if code == "zxx" else Language(code, ranking[code], False)

    def four_way_proba(self, texts: list[str], rankings: list[dict[str, float]]) -> np.ndarray:
        """(n, 4) probabilities over `LABELS`: classifier and py3langid fused log-linearly."""
        z = self._scores(len(texts), *self.features.entries(texts)) + self.intercept
        ovr = 1.0 / (1.0 + np.exp(-z))
        log_clf = np.log(ovr / ovr.sum(axis=1, keepdims=True) + 1e-12)
        py = np.array([[r.get(c, 0.0) for c in LABELS] for r in rankings]).reshape(-1, len(LABELS))
        py += 1e-9
        log_py = np.log(py / py.sum(axis=1, keepdims=True))
        fused = log_clf + self.decision["py3langid_weight"] * log_py
        fused += self.decision.get("marker_weight", 0.0) * marker_balance(texts)
        fused = np.exp(fused - fused.max(axis=1, keepdims=True))
        return fused / fused.sum(axis=1, keepdims=True)

    def _scores(
        self, n: int, rows: np.ndarray, buckets: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """(n, 4) features @ coef_t from the nonzero cells (`HashedNgrams.entries`)."""
        terms = weights[:, None] * self.coef_t[buckets]
        return np.stack([np.bincount(rows, weights=t, minlength=n) for t in terms.T], axis=1)

    def four_way(self, texts: list[str]) -> np.ndarray:
        """(n, 4) probabilities over `LABELS` for raw texts, skipping the other-language gate."""
        cleaned = [clean_text(t) for t in texts]
        return self.four_way_proba(cleaned, [self.rank(t) for t in cleaned])

    def _four_way(self, texts: list[str], rankings: list[dict[str, float]]) -> list[Language]:
        proba = self.four_way_proba(texts, rankings)
        best = proba.argmax(axis=1)
        return [Language(LABELS[k], float(p[k]), True) for k, p in zip(best, proba, strict=True)]

    def rank(self, text: str) -> dict[str, float]:
        """py3langid's probability for each of its languages (for evaluation and debugging)."""
        return dict(self._langid.rank(text))


# --- training -------------------------------------------------------------------------------


def load_language_data(
    data_dir: Path, files: Sequence[str] = TRAINING_FILES
) -> tuple[list[Example], list[Example]]:
    """(train, dev) examples of `files`; `lang` is the label."""
    train, dev = [], []
    for name in files:
        for example in iter_examples(data_dir / name):
            (train if example.split == "train" else dev).append(example)
    return train, dev


def fit_classifier(pairs: Sequence[tuple[str, str]], *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression by SGD; each language weighs the same in total."""
    from sklearn.linear_model import SGDClassifier

    x = HashedNgrams(FEATURES).matrix([t for t, _ in pairs])
    y = np.array([LABELS.index(lang) for _, lang in pairs])
    counts = Counter(y.tolist())
    weights = np.array([1.0 / counts[k] for k in y.tolist()])
    model = SGDClassifier(
        loss=TRAINING["loss"],
        alpha=TRAINING["alpha"],
        max_iter=TRAINING["max_iter"],
        tol=None,
        random_state=seed,
    )
    model.fit(x, y, sample_weight=weights * len(weights) / weights.sum())
    return model.coef_, model.intercept_


def save_artifact(
    out_dir: Path, coef: np.ndarray, intercept: np.ndarray, extra_config: dict[str, Any]
) -> None:
    """float16 coefficients (2 MB instead of 4; predictions checked unchanged in the card)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    save_tensors(
        {"coef": coef.astype(np.float16), "intercept": intercept.astype(np.float32)},
        out_dir / WEIGHTS,
    )
    config = {
        "labels": list(LABELS),
        "features": FEATURES,
        "decision": DECISION,
        "training": TRAINING,
        **extra_config,
    }
    (out_dir / CONFIG).write_text(json.dumps(config, indent=2) + "\n")


def accuracy_report(dev: Sequence[Example], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy overall, per gold language and per dev file (per file and language if mixed)."""
    groups: dict[str, list[bool]] = defaultdict(list)
    langs_per_file: dict[str, set[str]] = defaultdict(set)
    for e in dev:
        langs_per_file[e.source].add(e.lang)
    for e, p in zip(dev, predicted, strict=True):
        hit = p == e.lang
        groups["all"].append(hit)
        groups[f"lang:{e.lang}"].append(hit)
        suffix = f" [{e.lang}]" if len(langs_per_file[e.source]) > 1 else ""
        groups[f"file:{e.source}{suffix}"].append(hit)
    return {
        k: {"n": len(v), "accuracy": round(float(np.mean(v)), 4)} for k, v in sorted(groups.items())
    }


def baseline_predictions(texts: list[str]) -> dict[str, list[str]]:
    """py3langid and lingua on the same texts, over all their languages and restricted to four."""
    from py3langid.langid import MODEL_FILE
    from py3langid.langid import LanguageIdentifier as Py3LangId

    out = {}
    py = Py3LangId.from_model_file(MODEL_FILE, norm_probs=True)
    out["py3langid (all languages)"] = [py.classify(t)[0] for t in texts]
    py.set_languages(list(LABELS))
    out["py3langid (en/fr/id/ms only)"] = [py.classify(t)[0] for t in texts]
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:
        return out
    four = [IsoCode639_1.from_str(c) for c in LABELS]

    def codes(detector: Any) -> list[str]:
        found = detector.detect_languages_in_parallel_of(texts)
        return [lang.iso_code_639_1.name.lower() if lang else "und" for lang in found]

    out["lingua (all languages)"] = codes(LanguageDetectorBuilder.from_all_languages().build())
    out["lingua (en/fr/id/ms only)"] = codes(
        LanguageDetectorBuilder.from_iso_codes_639_1(*four).build()
    )
    return out


def other_language_sentences() -> list[tuple[str, str]]:
    """(sentence, language) from spaCy's example sentences for languages other than the four."""
    import importlib
    import pkgutil

    import spacy.lang

    out = []
    for module in sorted(m.name for m in pkgutil.iter_modules(spacy.lang.__path__)):
        if module in (*LABELS, "xx") or not module.isalpha():
            continue
        try:
            examples = importlib.import_module(f"spacy.lang.{module}.examples")
        except ImportError:
            continue
        out.extend((s, module) for s in getattr(examples, "sentences", []))
    return out


def other_language_report(identifier: LanguageIdentifier) -> dict[str, Any]:
    """How often text in other languages comes out unsupported, and with its own code."""
    sentences = other_language_sentences()
    found = identifier.identify([s for s, _ in sentences])
    counts = [letter_counts(s) for s, _ in sentences]
    latin = [i for i, (letters, n_latin) in enumerate(counts) if 2 * n_latin >= letters]

    def rates(idx: list[int]) -> dict[str, float]:
        return {
            "n": len(idx),
            "unsupported": round(float(np.mean([not found[i].supported for i in idx])), 4),
            "own_code": round(float(np.mean([found[i].code == sentences[i][1] for i in idx])), 4),
        }

    return {
        "languages": len({lang for _, lang in sentences}),
        "all": rates(list(range(len(sentences)))),
        "latin_script": rates(latin),
    }


def evaluate(identifier: LanguageIdentifier, dev: Sequence[Example]) -> dict[str, Any]:
    """Dev metrics of the full pipeline and of the four-way decision alone, plus baselines."""
    texts = [e.text for e in dev]
    start = time.perf_counter()
    found = identifier.identify(texts)
    per_text_ms = (time.perf_counter() - start) * 1000 / len(texts)
    four = identifier.four_way(texts).argmax(axis=1)
    return {
        "pipeline": accuracy_report(dev, [lang.code for lang in found]),
        "four_way": accuracy_report(dev, [LABELS[k] for k in four]),
        "dev_unsupported_rate": round(float(np.mean([not x.supported for x in found])), 4),
        "identify_ms_per_text": round(per_text_ms, 3),
        "baselines": {
            name: accuracy_report(dev, predicted)
            for name, predicted in baseline_predictions(texts).items()
        },
        "other_languages": other_language_report(identifier),
    }


def fit_language_artifact(
    data_dir: Path, out_dir: Path, *, seed: int = 0, files: Sequence[str] = TRAINING_FILES
) -> tuple[np.ndarray, np.ndarray, dict[str, Any], list[Example]]:
    """Train on the train splits of `files` and write the artifact (no card, no evaluation);
    returns the float32 weights, the recorded config extras and the dev examples."""
    train, dev = load_language_data(data_dir, files)
    pairs = [(clean_text(e.text), e.lang) for e in train]
    added = augment(pairs, seed=seed)
    coef, intercept = fit_classifier(pairs + added, seed=seed)
    extra = {
        "seed": seed,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": [file_fingerprint(data_dir / name) for name in files],
        "train_examples": {
            "original": len(pairs),
            "augmented": len(added),
            "by_language": dict(sorted(Counter(lang for _, lang in pairs + added).items())),
        },
    }
    save_artifact(out_dir, coef, intercept, extra)
    return coef, intercept, extra, dev


def train_language_identifier(data_dir: Path, out_dir: Path, *, seed: int = 0) -> dict:
    """Train on the train splits, write the artifact and card, return dev metrics."""
    coef, intercept, extra, dev = fit_language_artifact(data_dir, out_dir, seed=seed)
    identifier = LanguageIdentifier.load(out_dir)
    metrics = {"version": identifier.version, **evaluate(identifier, dev)}
    metrics["float16_agreement"] = float16_agreement(identifier, coef, intercept, dev)
    config = json.loads((out_dir / CONFIG).read_text())
    (out_dir / CONFIG).write_text(json.dumps({**config, "metrics_dev": metrics}, indent=2) + "\n")
    write_language_card(out_dir, metrics, extra)
    return metrics


def float16_agreement(
    identifier: LanguageIdentifier,
    coef: np.ndarray,
    intercept: np.ndarray,
    dev: Sequence[Example],
) -> float:
    """Share of dev texts whose four-way argmax is the same with float32 and stored float16."""
    x = identifier.features.matrix([e.text for e in dev])
    full = x @ coef.T + intercept
    stored = x @ identifier.coef_t.astype(np.float64) + identifier.intercept
    return round(float(np.mean(full.argmax(axis=1) == stored.argmax(axis=1))), 4)


# --- model card -----------------------------------------------------------------------------


def _pct(row: dict[str, Any]) -> str:
    return f"{row['accuracy']:.4f}"


def _accuracy_table(reports: dict[str, dict[str, Any]], prefix: str, heading: str) -> str:
    first = next(iter(reports.values()))
    keys = [k for k in first if k.startswith(prefix)]
    rows = [
        (k.removeprefix(prefix), first[k]["n"], *(_pct(r[k]) for r in reports.values()))
        for k in keys
    ]
    return markdown_table([heading, "n", *reports], rows)


def write_language_card(out_dir: Path, metrics: dict[str, Any], extra: dict[str, Any]) -> None:
    """The card: data, method, per-language and per-file dev accuracy next to the baselines."""
    reports = {
        "voc": metrics["pipeline"],
        "voc four-way": metrics["four_way"],
        **metrics["baselines"],
    }
    write_card(
        out_dir / CARD,
        title=f"Language identification ({metrics['version']})",
        summary=__doc__.strip().split("\n\n", 1)[1] + "\n\n" + _data_text(extra),
        command="voc train language",
        data=extra["data"],
        sections=[
            ("Method", _method_text(metrics)),
            (
                "Dev accuracy per language",
                _EVALUATION_NOTE.format(**metrics)
                + "\n\n"
                + _accuracy_table(reports, "lang:", "language"),
            ),
            ("Dev accuracy per file", _accuracy_table(reports, "file:", "dev file")),
            *([("Unseen data", _unseen_text(metrics["unseen"]))] if metrics.get("unseen") else []),
            ("Other languages", _other_text(metrics["other_languages"])),
            ("Limits", _LIMITS.format(min_letters=DECISION["other_min_letters"])),
        ],
    )


def attach_unseen(out_dir: Path, unseen: dict[str, Any]) -> None:
    """Add the leave-one-dataset-out and hand-written results
    (`bench/bench_language_unseen.py`) to an artifact's config and card."""
    config = json.loads((out_dir / CONFIG).read_text())
    metrics = {**config["metrics_dev"], "unseen": unseen}
    (out_dir / CONFIG).write_text(json.dumps({**config, "metrics_dev": metrics}, indent=2) + "\n")
    write_language_card(out_dir, metrics, config)


def _unseen_text(unseen: dict[str, Any]) -> str:
    """Tables: one row per left-out file, then the hand-written sets per language."""
    rows = [("left-out file", "n", *_SYSTEMS)]
    lodo = [
        (name.removesuffix(".jsonl"), r["n"], *(f"{r[s]['all']:.4f}" for s in _SYSTEMS))
        for name, r in unseen["lodo"].items()
    ]
    text = (
        "Leave-one-dataset-out: trained with the same recipe on every other file, measured on "
        "every row (train and dev) of the left-out one. Baselines on the same rows, same run.\n\n"
        + markdown_table(list(rows[0]), lodo)
    )
    hand, held = unseen.get("handwritten"), unseen.get("heldout")
    if held:
        text += (
            "\n\nHeld-out hand-written set (`tests/data/language_colloquial_heldout.jsonl`, "
            f"{held['n']} sentences: reviews, complaints, support chat about deliveries, apps, "
            "banks, food and telcos; Malay chat shorthand and Malay-English mixing), written and "
            "committed before any of this model's tuning and never looked at during it; "
            f"measured {unseen.get('heldout_looks', 1)} time(s) in all, with "
            f"{held['version']}:\n\n" + _handwritten_table(held)
        )
    if hand:
        text += (
            f"\n\nTuning set (`tests/data/language_colloquial.jsonl`, {hand['n']} hand-written "
            "sentences; reviews, complaints, chat; Malay-English and Indonesian-English "
            "mixing): held out until language@5ec87ad5, since then marker lists, tables and "
            "thresholds were chosen looking at it, so this number is optimistic; with "
            f"{hand['version']}:\n\n" + _handwritten_table(hand)
        )
    before = unseen.get("before")
    if isinstance(before, dict):
        text += (
            f"\n\nBefore this retrain, {before['version']} (never trained on these three files) "
            f"scored {before['text']}."
        )
    elif before:
        text += f"\n\n{before}"
    if unseen.get("command"):
        text += f"\n\nCommand: `{unseen['command']}`"
    return text


def _handwritten_table(scores: dict[str, Any]) -> str:
    """Accuracy per language and overall, voc beside the baselines."""
    langs = sorted(k for k in scores["voc"] if k != "all")
    rows = [(lang, *(f"{scores[s][lang]:.4f}" for s in _SYSTEMS)) for lang in [*langs, "all"]]
    return markdown_table(["language", *_SYSTEMS], rows)


_SYSTEMS = (
    "voc",
    "py3langid (all languages)",
    "py3langid (en/fr/id/ms only)",
    "lingua (all languages)",
    "lingua (en/fr/id/ms only)",
)


def _data_text(extra: dict[str, Any]) -> str:
    counts = extra["train_examples"]
    return (
        f"Trained on the train splits of every labelled file: {counts['original']} texts plus "
        f"{counts['augmented']} rewritten copies (by language after augmentation: "
        f"{counts['by_language']}). Seed {extra['seed']}, created {extra['created']}."
    )


_EVALUATION_NOTE = """Held-out dev splits. "voc" is `identify()`: an answer of another language \
counts as wrong ({dev_unsupported_rate:.2%} of dev texts were called unsupported). "voc \
four-way" skips the other-language gate. Baselines run on the same texts; "en/fr/id/ms only" \
restricts them to the four languages, the fair comparison with the four-way decision."""

_LIMITS = """Informal Malaysian Malay in the labelled data is one file of 514 reviews of one \
product (Shopee Malaysia); the rewritten copies stand in for the rest, and the hand-written set \
checks it. Texts written only in vocabulary both varieties share ("sangat membantu", \
"mantap") cannot be told apart and follow the training mix. Some rows of the Indonesian app \
reviews are in English, and tweets that are only links and handles are `und`: both count as \
wrong above. Code-mixed text (Manglish, Indonesian with Javanese) gets its dominant language or \
may be called `jv`. \
Text under {min_letters} letters ("Gracias", "ciao") always gets one of the four: py3langid \
cannot tell languages apart on so little. \
Decision thresholds were chosen on these dev splits and the tuning set below, so those \
numbers are slightly optimistic; the held-out set is the honest one. The classifier still \
reads punctuation: two Indonesian files are tokenised ("bagus , murah ."), so a normally \
written comma leans Malay. Closing spaces before punctuation for training and serving was \
tried and cost Malay (on a candidate model: tuning set 0.96 -> 0.87, dev 0.99 -> 0.97) \
because Malay shop-style text in the data is one file; informal Indonesian and Malay with \
only shared words ("cepat sampai, tq seller", "mahal tapi worth it") follow these cues and \
the training mix. \
A bias towards Indonesian was tried too: it gains dev Indonesian only by losing \
colloquial Malay (+0.2 log-odds on a candidate model: Indonesian dev +0.010, tuning-set \
Malay -0.025), so there is none. Recipes differing in small ways (which rewritten copies are \
kept) moved tuning-set Malay between 0.87 and 0.96 with the same seed: differences of a few \
sentences there are noise. Two marker words keep a text out of the other-language gate, and \
some markers are words elsewhere too ("je", "bil" in Slovenian), so one of spaCy's Slovenian \
sentences is now called Malay."""


def _method_text(metrics: dict[str, Any]) -> str:
    d, t = DECISION, TRAINING
    return f"""1. Gate: a text whose letters are mostly not Latin is another language. A \
Latin-script text is another language when py3langid's top label is not en/fr/id/ms, the \
text has at least \
{d["other_min_letters"]} letters and fewer than {d["supported_min_markers"]} Malay or \
Indonesian marker words, and py3langid gives that label at least \
{d["other_min_confidence"]} or the four together at most {d["other_max_supported_mass"]} \
(an unconfident "no language", as chat shorthand without vowels gets, never counts).
2. Four-way decision: one-vs-rest logistic regression (SGD, alpha {t["alpha"]}, \
{t["max_iter"]} epochs, languages weighted equally) on hashed char_wb 1-4-grams + word \
uni- and bigrams (2^18 buckets, log1p counts, L2 norm), fused with py3langid's probabilities \
restricted to the four (weight {d["py3langid_weight"]} on its log-probabilities).
3. Rewritten copies for id vs ms: Malay made colloquial (tak, nak, dah, je, kat ...), \
Indonesian made colloquial (gak, udah, aja, banget ...) and formal, chat abbreviations in both \
(inner vowels dropped at rate {t["abbreviation_rate"]}), and each variety rewritten \
into the other with a word dictionary (karena/kerana, uang/wang, mobil/kereta, \
kualitas/kualiti ...). A text holding a frequent word never seen in the other variety and not \
in the dictionary is not rewritten, nor is one the dictionary leaves unchanged. Malay gets \
{t["ms_colloquial_copies"]} colloquial copies per text. Half the \
Malay and Indonesian texts also get a copy with a quarter of their words swapped for \
customer-feedback English (delivery, seller, refund ...), under their own label. \
The tables are in `voc/nlp/language.py`.
4. Marker words: each Malay (tak, nak, dah, je, kat, x, kot, boleh, teruk, rosak, kedai, \
teksi, esok ...) or Indonesian (gak, udah, banget, sih, dong, mau, liat, bilang, rusak, \
toko ...) marker, also with letters repeated, adds a shared feature, \
and {d["marker_weight"]} per marker to that variety's log-score in the decision (taken from \
the other's). Before all of this, links, @handles and e-mail addresses are removed, letters \
repeated three times or more cut to two, and the text NFKC-normalised.
5. Stored as `classifier.safetensors` (float16 coefficients, float32 intercepts; float16 and \
float32 give the same four-way answer on {metrics["float16_agreement"]:.2%} of dev texts) and \
`config.json`. `identify` took {metrics["identify_ms_per_text"]} ms per dev text (one batch, \
one thread)."""


def _other_text(other: dict[str, Any]) -> str:
    a, latin = other["all"], other["latin_script"]
    return f"""spaCy's example sentences in {other["languages"]} other languages ({a["n"]} \
sentences, {latin["n"]} in Latin script): called unsupported {a["unsupported"]:.2%} (Latin \
script {latin["unsupported"]:.2%}), with their own language code {a["own_code"]:.2%} (Latin \
script {latin["own_code"]:.2%})."""
