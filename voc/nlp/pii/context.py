"""Personal data recognised by its context: account/order numbers, person names, street addresses.

No offline NER covers Indonesian and Malay, so these are cue rules, per language, measured on the
hand-written sets in tests/data/pii:
- an account or order number is an identifier (digits, or upper-case letters with digits) right
  after a cue noun ("order", "commande", "pesanan", "akaun", "rekening"...), a few filler words
  ("number", "n°", "saya", a bank's name) allowed in between;
- a name is one to four capitalised words after a cue: a self-introduction ("my name is",
  "je m'appelle", "nama saya"), an honorific (Mr, Mme, Encik, Puan, Pak, Bu...), a staff role
  ("the agent", "le conseiller", "teknisi bernama"), a relative ("my wife", "ma fille"), a
  closing ("Regards,", "Cordialement,", "Terima kasih,", a "--" signature), "named"/"bernama"/
  "s'appelle", a lower-case chat honorific ("mbak Lia"), or an apposition after a person noun
  or role ("the guy at the kiosk, Jason, was"); "X, Y and Z" continues the list; months, days,
  holidays and common brands never start a name;
- an address is a street (a number and a street word: "12 rue de la Paix", "14 Baker Street",
  "Jl. Sudirman No. 45", "No. 12, Jalan SS2/24") extended over the comma-separated unit,
  district, postcode and city parts around it; a street with no number anywhere ("Jalan Braga",
  "Orchard Road") is a place, not an address."""

from __future__ import annotations

import re
from collections.abc import Iterator

Found = tuple[int, int, str]


def _words(*phrases: str) -> str:
    """An alternation of phrases, longest first, spaces matching any run of spaces."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


# --- account and order numbers ------------------------------------------------------------
ACCOUNT_CUES = _words(
    "order", "account", "customer", "member", "membership", "invoice", "ticket", "booking",
    "reference", "ref", "contract", "policy", "tracking", "case", "subscriber",
    "commande", "compte", "client", "contrat", "facture", "abonné", "identifiant", "dossier",
    "pesanan", "akun", "rekening", "pelanggan", "kontrak", "resi", "tagihan", "booking",
    "akaun", "tempahan", "invois", "rujukan", "ahli", "polisi",
)  # fmt: skip
ACCOUNT_FILLERS = _words(
    "number", "no", "no.", "nr", "nr.", "n°", "nº", "num", "numéro", "numero", "nomor", "nombor",
    "id", "is", "est", "my", "mon", "ma", "de", "du", "saya", "anda", "kamu", "code", "kode",
    "kod", "reference", "référence", "ref", "ref.", "abonné", "client", "pelanggan",
    "maybank", "cimb", "rhb", "bca", "bni", "bri", "mandiri", "ambank", "bsn", "hsbc",
)  # fmt: skip
ACCOUNT = re.compile(
    rf"\b(?:{ACCOUNT_CUES})\b(?:\s*[#:]\s*|\s+(?:(?:{ACCOUNT_FILLERS})(?![\w])\s*[#:]?\s*){{0,3}})"
    r"#?(?P<id>(?=[A-Z0-9/-]*\d)[A-Z0-9][A-Z0-9/-]*[A-Z0-9])(?![\w/-]|[.,]\d)",
    re.IGNORECASE,
)
DATE_LIKE = re.compile(r"\d{1,4}[/-]\d{1,2}[/-]\d{1,4}")


def accounts(text: str) -> Iterator[Found]:
    for m in ACCOUNT.finditer(text):
        value = m.group("id")
        digits = sum(c.isdigit() for c in value)
        if value != value.upper() or DATE_LIKE.fullmatch(value):
            continue
        if digits >= 4 or (len(value) >= 5 and digits >= 1):
            yield m.start("id"), m.end("id"), "ACCOUNT"


# --- person names -------------------------------------------------------------------------
HONORIFICS = _words(
    "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Miss", "Mx", "Dr", "Dr.", "Sir", "Madam", "Prof.",
    "M.", "Mme", "Mme.", "Mlle", "Monsieur", "Madame", "Mademoiselle", "Maître",
    "Encik", "En.", "Puan", "Pn.", "Cik", "Tuan", "Haji", "Hajah", "Hj.", "Dato'", "Datuk",
    "Datuk Seri", "Dato' Seri", "Dato' Sri", "Datuk Sri", "Tun", "Tuan Guru",
    "Datin", "Tan Sri", "Puan Sri", "Pak", "Bu", "Bapak", "Ibu", "Mbak", "Mas", "Kak", "Kakak",
    "Abang", "Bang", "Adik", "Dik", "Om", "Tante", "Saudara", "Saudari", "Sdr.", "Sdri.",
)  # fmt: skip
NAME_CUES = _words(
    # self-introductions
    "my name is", "my name's", "i am", "i'm", "this is", "it's", "je m'appelle", "je m’appelle",
    "je suis", "moi c'est", "c'est", "nama saya", "nama aku", "nama",
    # closings and thanks
    "regards,", "best regards,", "kind regards,", "thanks,", "thank you", "many thanks,",
    "cheers,", "sincerely,", "yours,", "sent from my iphone.", "cordialement,",
    "bien cordialement,", "bien à vous,", "salutations,", "signé :", "signé:", "merci à",
    "merci", "terima kasih", "terima kasih,", "salam,", "hormat saya,", "hormat kami,",
    "yang benar,", "wassalam,", "especially", "notamment", "surtout", "terutama", "terutamanya",
    "khususnya", "thanks to", "grâce à", "best wishes,", "warm regards,", "regards", "cheers",
    "thanks", "many thanks", "merci beaucoup", "bien à toi,", "amitiés,", "bisous,",
    "terima kasih banyak", "makasih", "makasih banyak", "trima kasih", "tq", "salam hormat,",
    "dengan hormat,", "salam sejahtera,",
    # who to ask for, on whose behalf
    "ask for", "speak to", "demandez", "demander", "minta", "cari", "on behalf of",
    "de la part de", "au nom de", "atas nama", "invoice to", "bill to", "attention",
    "à l'attention de", "complaint from", "réclamation de", "plainte de", "keluhan dari",
    "keluhan resmi dari", "aduan daripada", "aduan rasmi daripada",
    "my details:", "my details again:", "mes coordonnées :", "mes coordonnées, encore une fois :",
    "butiran saya:", "butiran saya sekali lagi:", "data saya:",
    # staff roles
    "agent", "technician", "installer", "driver", "courier", "rider", "cashier", "advisor",
    "adviser", "representative", "rep", "manager", "staff member", "conseiller", "conseillère",
    "vendeur", "vendeuse", "livreur", "livreuse", "technicien", "technicienne", "caissier",
    "caissière", "teknisi", "kurir", "kurirnya", "kurier", "sopir", "kasir", "petugas",
    "juruteknik", "despatch", "penghantar", "jurujual", "assistant", "colleague", "coworker",
    "supervisor", "receptionist", "waiter", "waitress", "nurse", "doctor", "neighbour",
    "neighbor", "friend", "boss", "collègue", "voisin", "voisine", "ami", "amie", "copain",
    "copine", "patron", "patronne", "infirmière", "infirmier", "un certain", "une certaine",
    "a certain", "cs", "staf", "staff", "pegawai", "karyawan", "pelayan", "satpam", "ojol",
    "driver ojol", "kawan", "teman", "rakan", "jiran", "tetangga", "pekerja",
    # relatives
    "mother", "father", "wife", "husband", "son", "daughter", "brother", "sister", "mum", "mom",
    "dad", "partner", "mère", "père", "femme", "mari", "fils", "fille", "frère", "sœur",
    "istri", "isteri", "suami", "anak", "adik", "kakak", "abang", "ayah", "emak",
)  # fmt: skip
SENTENCE_CUE = re.compile(
    r"(?:^|[.!?,;:]\s*|\b(?:adik|suami|istri|isteri|anak|kakak|abang|ayah|ibu|emak|teman|kawan|"
    r"rakan|sahabat|jiran|tetangga|bos)\s+)"
    r"(?:saya|aku|this is)\s+",
    re.IGNORECASE,
)
"""Weak cues, taken only where they open a sentence or follow a relative ("Adik saya Dian")."""
NAMED = _words("named", "called", "nommé", "nommée", "appelé", "appelée", "bernama", "yang bernama")
NAMED_ALONE = _words(
    "named", "nommé", "nommée", "bernama", "yang bernama", "namanya", "s'appelle", "s’appelle",
    "s'appelait", "s’appelait", "s'appelle", "dipanggil",
)  # fmt: skip
PERSON_NOUNS = _words(
    "guy", "lady", "man", "woman", "girl", "boy", "gentleman", "chap", "bloke", "someone",
    "somebody", "person", "quelqu'un", "quelqu’un", "monsieur", "dame", "femme", "homme",
    "jeune homme", "jeune femme", "seorang", "orang", "lelaki", "perempuan", "cewek", "cowok",
    "wanita", "pria", "budak",
)  # fmt: skip
"""Person nouns: a name follows them only through "named"/"called" ("a lady called Margaret")
or as an apposition between commas ("the guy at the kiosk, Jason, was")."""
NAME_CUE = re.compile(
    rf"(?:(?<![\w'’@])|(?<=\b[lLdD]['’]))(?:{NAME_CUES})(?:(?<=\W)|(?![\w'’]))"
    rf"(?:\s+(?:{NAMED}))?[\s,:]*"
    rf"(?:(?:{HONORIFICS})(?![\w'’])\s*)*",
    re.IGNORECASE,
)
HONORIFIC = re.compile(rf"(?<![\w'’])(?:(?:{HONORIFICS})(?![\w'’])\s*)+")
SPOKEN_HONORIFIC = re.compile(
    r"(?<![\w'’])(?:pak|bu|bapak|ibu|mbak|mas|kak|kakak|abang|bang|encik|puan|cik|tuan|dik|"
    r"adik|tante)\s+(?=[^\W\d_a-z])"
)
"""Honorifics as typed in chats, lower-case ("mbak Lia", "kak Ros"); a capital must follow."""
NAMED_CUE = re.compile(
    rf"(?<![\w'’@])(?:(?:{PERSON_NOUNS})\s+(?:{NAMED})|{NAMED_ALONE})(?![\w'’])\s*",
    re.IGNORECASE,
)
_APPOSED = r"[^\W\d_a-z][\w'’-]*(?:\s+[^\W\d_a-z][\w'’-]*){0,2}\s*(?:,|\)|—|–| - )"
APPOSITION = re.compile(
    rf"(?<![\w'’@])(?:{PERSON_NOUNS}|{NAME_CUES})(?![\w'’])[^,.!?;:\n]{{0,40}},\s*"
    rf"(?-i:(?={_APPOSED}))",
    re.IGNORECASE,
)
"""A name between commas after a person noun or a role: "the guy at the kiosk, Jason, was"."""
APPOSED = re.compile(rf",\s*{_APPOSED}")
"""What every apposition holds: looked for first (one text in fifty has it), it spares the
others the apposition pattern, whose cue alternation costs a third of `names`."""
SIGNATURE = re.compile(r"(?:^|\s)(?:--|—|–|-)\s*(?=[^\W\d_][^\n]{0,40}$)")
"""A sign-off dash at the end of a comment: "... -- Harriet Lowe"."""
NAME_AT = re.compile(
    r"(?:at the|au|à la|à l'|di|dari|from|du|de l'|de la) ?(?:counter|desk|till|store|shop|"
    r"reception|kiosk|billing|support|caisse|comptoir|accueil|boutique|magasin|agence|guichet|"
    r"rayon|kasir|kaunter|cawangan|gerai|toko|kedai|loket|CS)\b"
)
"""A capitalised word right before this is a staff member: "Priya at the counter"."""
NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*")
CONNECTORS = {"bin", "binti", "bt", "bte", "a/l", "a/p", "van", "von", "de", "del", "da", "di"}
CONNECTOR = re.compile(r"\s+(bin|binti|bt|bte|a/l|a/p|van|von|de|del|da)\s+")
LIST_JOIN = re.compile(r"(?:,\s*|\s+(?:and to|et à|and|et|dan|&)\s+)")
PEOPLE_LIST = re.compile(
    r"\b(?:to|with|à|avec|ke|kepada|dengan|sama) (?=[^\W\d_][\w'’-]*, [^\W\d_][\w'’-]*"
    r"(?:, [^\W\d_][\w'’-]*)* (?:and|et|dan|&) [^\W\d_])"
)
"""Three or more single names after a preposition: "to Jessica, Mark and Hannah"."""
NOT_NAMES = {
    "i", "the", "a", "an", "my", "your", "our", "it", "this", "that", "he", "she", "we", "they",
    "le", "la", "les", "un", "une", "mon", "ma", "mes", "je", "il", "elle", "nous", "vous", "ce",
    "saya", "aku", "kami", "kita", "dia", "ini", "itu", "yang", "dan", "di", "ke", "dari",
    "untuk", "tapi", "but", "and", "et", "mais", "please", "sila", "tolong", "mohon", "hello",
    "hi", "bonjour", "merci", "thanks", "thank", "salam", "dear", "ok", "okay", "no", "non",
    "tidak", "tak", "ya", "yes", "oui", "sudah", "dah", "not", "never", "also", "aussi", "juga",
    "customer", "client", "cliente", "pelanggan", "team", "équipe", "tim", "pasukan", "service",
    "support", "re", "last", "out", "next", "first", "attention", "toko", "kedai", "shop",
    "store", "shopee", "lazada", "tokopedia", "bukalapak", "grab", "gojek", "zalora", "amazon",
    "google", "apple", "samsung", "xiaomi", "nomor", "nombor", "number", "numéro", "presiden",
    "menteri", "president", "minister", "notice", "seller", "penjual", "admin", "agan", "gan",
    "sis", "min", "kak", "bos", "boss",
    "sent", "here", "ici", "sini", "today", "aujourd'hui", "hari", "iphone", "android",
    "everyone", "everybody", "staff", "tout", "semua", "mereka", "someone",
    "facebook", "instagram", "whatsapp", "tiktok", "twitter", "youtube", "netflix", "telegram",
    "gopay", "ovo", "foodpanda", "astro", "unifi", "maxis", "celcom", "digi",
    "telkomsel", "indihome", "orange", "free", "sfr", "bouygues", "fnac", "darty", "carrefour",
}  # fmt: skip
CALENDAR_WORDS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre", "januari", "februari",
    "maret", "mac", "mei", "juni", "juli", "julai", "agustus", "ogos", "oktober", "disember",
    "desember", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "senin", "selasa",
    "rabu", "kamis", "khamis", "jumat", "jumaat", "sabtu", "minggu", "ahad", "isnin",
    "christmas", "noël", "easter", "pâques", "ramadan", "ramadhan", "raya", "lebaran",
}  # fmt: skip
"""Months, days and holidays: capitalised, never the first word of a name (a later word may be
one: "Tan Mei Ling")."""


def names(text: str) -> Iterator[Found]:
    """Names after a cue. In text written in Title Case or capitals ("Saya Makek J&T Bertahun
    Tahun") a capital says nothing, so only an honorific introduces a name there."""
    if not _may_hold_name(text):
        return
    title_case = _mostly_capitalised(text)
    cues = () if title_case else (*NAME_CUE.finditer(text), *SENTENCE_CUE.finditer(text))
    starts = {m.end() for m in cues}
    starts |= {
        m.end() for m in HONORIFIC.finditer(text) if m.start() == 0 or text[m.start() - 1] != "'"
    }
    if not title_case:
        apposed = APPOSED.search(text) is not None
        for pattern in (SPOKEN_HONORIFIC, NAMED_CUE, APPOSITION, SIGNATURE):
            if pattern is not APPOSITION or apposed:
                starts |= {m.end() for m in pattern.finditer(text)}
    for m in () if title_case else NAME_AT.finditer(text):
        before = list(NAME_WORD.finditer(text[max(0, m.start() - 30) : m.start()]))
        if before and before[-1].end() == min(30, m.start()) - 1:
            starts.add(max(0, m.start() - 30) + before[-1].start())
    starts |= set() if title_case else {m.end() for m in PEOPLE_LIST.finditer(text)}
    for start in sorted(starts):
        honorific = HONORIFIC.match(text, start)
        yield from _name_list(text, honorific.end() if honorific else start)


def _may_hold_name(text: str) -> bool:
    """Whether `names` can find anything in `text`: a name starts with a name word
    (`_is_name_word`), after a cue that ends where it starts, so never at the very start of the
    text unless a staff place follows it ("Priya at the counter"). Two-thirds of clauses have
    no such word, and this test costs a twentieth of the cue patterns it spares them."""
    if NAME_AT.search(text):
        return True
    for i, char in enumerate(text):
        if i and char.isupper():
            word = NAME_WORD.match(text, i)
            if word and _is_name_word(word.group()):
                return True
    return False


def _name_list(text: str, start: int) -> Iterator[Found]:
    """A name at `start`, and the names listed after it ("Aisha and Rahul", "Laura, Maxime et
    Chloé"); a list joined by commas counts only when a conjunction closes it."""
    end = _name_end(text, start)
    if not end:
        return
    found = [(start, end, "NAME")]
    join = LIST_JOIN.match(text, end)
    while join:
        following = _name_end(text, join.end(), single=True)
        if not following:
            break
        found.append((join.end(), following, "NAME"))
        closed = not join.group().strip().startswith(",")
        join = LIST_JOIN.match(text, following)
    yield from found if len(found) == 1 or closed else found[:1]


def _name_end(text: str, start: int, *, single: bool = False) -> int:
    """End of one to four capitalised words (connectors like "bin" between) at `start`, or 0."""
    end, count = 0, 0
    position = start
    while count < (1 if single else 4):
        word = NAME_WORD.match(text, position)
        if not word or not _is_name_word(word.group()):
            break
        if not count and word.group().lower() in CALENDAR_WORDS:
            break
        end, count = word.end(), count + 1
        gap = CONNECTOR.match(text, end)
        if gap and count < 4:
            position = gap.end()
            continue
        if not text.startswith(" ", end):
            break
        position = end + 1
    return end


def _mostly_capitalised(text: str) -> bool:
    """Title Case text: common words ("Saya", "Dan", "The") capitalised inside sentences."""
    capitalised = total = position = 0
    before = ""  # the last character before the word that is not a space
    for word in NAME_WORD.finditer(text):
        gap = text[position : word.start()].rstrip()
        before = gap[-1] if gap else before
        if word.group().lower() in NOT_NAMES and before and before not in ".!?:\n":
            total += 1
            capitalised += word.group()[0].isupper()
        position, before = word.end(), word.group()[-1]
    return capitalised >= 2 and capitalised >= 0.5 * total


def _is_name_word(word: str) -> bool:
    return (
        len(word) > 1
        and word[0].isupper()
        and word.lower() not in NOT_NAMES
        and not PLACE_WORD.fullmatch(word)
        and not (word.isupper() and len(word) > 1)
        and not any(c.isdigit() for c in word)
    )


# --- street addresses ---------------------------------------------------------------------
EN_STREET = _words(
    "Street", "St", "St.", "Road", "Rd", "Rd.", "Avenue", "Ave", "Ave.", "Lane", "Ln", "Drive",
    "Dr", "Close", "Way", "Court", "Ct", "Place", "Pl", "Crescent", "Terrace", "Boulevard",
    "Blvd", "Square", "Row", "Grove", "Gardens", "Parade", "Walk", "Highway", "Hwy",
)  # fmt: skip
FR_STREET = _words(
    "rue", "avenue", "av.", "boulevard", "bd", "bd.", "place", "impasse", "allée", "chemin",
    "cours", "quai", "route", "square", "passage", "sentier", "villa", "cité", "lotissement",
    "hameau", "promenade", "faubourg", "rond-point", "voie",
)  # fmt: skip
MY_ID_STREET = _words(
    "Jalan", "Jln", "Jln.", "Jl", "Jl.", "Lorong", "Lrg", "Lrg.", "Gang", "Gg", "Gg.",
    "Persiaran", "Lebuh", "Lebuhraya", "Lingkaran", "Perumahan", "Perum", "Perum.", "Komplek",
    "Kompleks",
)  # fmt: skip
UNIT_WORDS = _words(
    "Flat", "Apt", "Apt.", "Apartment", "Unit", "Suite", "Floor", "No", "No.", "Lot", "Blok",
    "Block", "Bâtiment", "bâtiment", "Bât.", "bât.", "Résidence", "Pangsapuri", "Kondominium",
    "Apartemen", "Menara", "Wisma", "Rumah",
)  # fmt: skip
AREA_WORDS = _words(
    "Kel.", "Kec.", "Kab.", "Kelurahan", "Kecamatan", "Kabupaten", "Taman", "Tmn", "Tmn.",
    "Kampung", "Kg", "Kg.", "Bandar", "Desa", "Seksyen", "Section",
)  # fmt: skip
FR_ARTICLES = "de la|de l'|de l’|des|du|de|d'|d’|l'|la|le"
CAP = r"[^\W\d_a-z](?:[^\W\d_]|['’-])*"
"""A capitalised word without digits (the first letter's case is checked after matching)."""
STREET = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?\s+(?:{CAP}\s+){{1,3}}(?:{EN_STREET})(?![\w])(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
    rf"|\b\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?:{FR_STREET})\s+(?:(?:{FR_ARTICLES})\s*)?"
    rf"[\w'’-]+(?:\s+{CAP}){{0,3}}"
    rf"|(?<![\w.])(?:{MY_ID_STREET})(?![\w])\s*[\w/.-]+(?:\s+(?:[A-Z]{{0,3}}\d[\w/-]*|{CAP}\.?)(?![\w])){{0,6}}"
)
UNIT_BEFORE = re.compile(
    rf"(?:(?:{UNIT_WORDS})\s*[\w/'’-]*(?:\s+{CAP}){{0,3}},\s*|(?<![\w.,])(?<!\d )\d{{1,4}},?\s+)+$"
)
POSTCODE = (
    r"(?:\d{5}"  # FR, MY, ID, US zip
    r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"  # UK
    r"|[A-Z]\d{2}\s?[A-Z\d]{4}"  # IE Eircode
    r"|[A-Z]{2}\s\d{5})"  # US state + zip
)
AFTER_PART = re.compile(
    rf",?\s*(?P<part>(?:(?:{AREA_WORDS})\s+)?(?:{POSTCODE}\s+)?{CAP}(?:\s+{CAP}){{0,2}}(?:\s+{POSTCODE})?"
    rf"|{POSTCODE}|RT\s?\d+\s?/\s?RW\s?\d+)(?![\w])"
)
HAS_POSTCODE = re.compile(POSTCODE)
PLACE_WORD = re.compile(
    rf"(?:{EN_STREET}|{FR_STREET}|{MY_ID_STREET}|{UNIT_WORDS}|{AREA_WORDS})", re.IGNORECASE
)
"""Street, unit and area words: never part of a person's name."""


def addresses(text: str) -> Iterator[Found]:
    for m in STREET.finditer(text):
        start, end = m.start(), m.end()
        unit = UNIT_BEFORE.search(text, 0, start)
        if unit:
            start = unit.start()
        parts: list[tuple[int, bool]] = []
        while len(parts) < 4:
            part = AFTER_PART.match(text, end)
            if not part or not _is_address_part(part.group("part")):
                break
            end = part.end()
            parts.append((end, bool(HAS_POSTCODE.search(part.group("part")))))
        coded = [i for i, (_, has_code) in enumerate(parts) if has_code]
        keep = (coded[-1] + 2) if coded else 2
        if parts:
            end = parts[:keep][-1][0]
        if any(c.isdigit() for c in text[start:end]):
            yield start, end, "ADDRESS"


def _is_address_part(part: str) -> bool:
    """A unit, district, postcode or city: capitalised or a code, not a lone acronym ("HP")."""
    if not (part[0].isupper() or part[0].isdigit()):
        return False
    if any(c.isdigit() for c in part):
        return True
    words = part.split()
    return words[0].lower() not in NOT_NAMES and not all(w.isupper() and len(w) <= 4 for w in words)
