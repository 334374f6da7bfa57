"""Language detection and the lexical analysis shared by indexing and questions.

Terms are lower-cased and folded to plain letters (accents removed, so that ``Coree`` finds
``Corée``), then stemmed with the Snowball stemmer of the text's language when PyStemmer
has one. French-style elisions
(``l'``, ``d'``, ``qu'``…) and the most frequent function words are dropped. Nothing here
assumes a language: a language without a stemmer or stop list is only folded.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

_WORD = re.compile(r"[^\W_]+(?:[.,][0-9]+)*", re.UNICODE)

_SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "eu": "basque", "fi": "finnish",
    "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian",
    "id": "indonesian", "it": "italian", "lt": "lithuanian", "ne": "nepali", "nl": "dutch",
    "no": "norwegian", "nb": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish", "fa": "persian", "et": "estonian",
}  # fmt: skip

# Clitics left by splitting elisions (l'État, qu'il, dell'anno, l'Hospitalet…).
_ELISIONS = frozenset(
    "c d j l m n s t qu jusqu lorsqu puisqu quoiqu presqu quelqu dell nell all sull".split()  # noqa: SIM905
)

_STOPWORDS = {
    "fr": """a à au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les
        leur leurs lui ma mais me même mes moi mon ne nos notre nous on ou par pas pour qu que
        qui sa se ses son sur ta te tes toi ton tu un une vos votre vous y été être est sont
        était ont avait sera fut ceci cela ça là où dont lequel laquelle lesquels""",
    "en": """a an and are as at be been but by for from had has have he her his i if in into is
        it its of on or she so such than that the their them then there these they this to
        was were which while will with""",
}


@functools.lru_cache(maxsize=64)
def _stopwords(code: str) -> frozenset[str]:
    return frozenset(fold(w) for w in _STOPWORDS.get(code, "").split())


def fold(text: str) -> str:
    """Lower-case ``text`` and remove its accents (``"Corée"`` → ``"coree"``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=64)
def _stemmer(lang: str | None) -> Any:
    algorithm = _SNOWBALL.get((lang or "").split("-")[0].lower())
    if algorithm is None:
        return None
    import Stemmer  # PyStemmer

    stemmer = Stemmer.Stemmer(algorithm)
    stemmer.maxCacheSize = 50_000
    return stemmer


def analyze(text: str, lang: str | None) -> list[str]:
    """Return the lexical terms of ``text`` analysed for language ``lang`` (ISO 639-1)."""
    code = (lang or "").split("-")[0].lower()
    stop = _stopwords(code)
    words = [w for w in _WORD.findall(fold(text)) if w not in _ELISIONS and w not in stop]
    stemmer = _stemmer(code)
    return list(stemmer.stemWords(words)) if stemmer is not None else words


def analyze_many(texts: Iterable[str], lang: str | None) -> list[list[str]]:
    """:func:`analyze` over several texts of one language."""
    return [analyze(t, lang) for t in texts]


@functools.lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...] | None) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from .langid_model import langid_model

    try:
        ptc, pc, classes, nextmove, row, output = langid_model()
        identifier = LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
    except (ImportError, KeyError, TypeError, ValueError, OSError):  # another py3langid: its own loader
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if languages:
        identifier.set_languages(list(languages))
    return identifier


def detect_language(text: str, *, among: Iterable[str] | None = None) -> str:
    """Guess the ISO 639-1 language of ``text`` with py3langid, optionally among ``among``."""
    candidates = tuple(sorted(set(among))) if among is not None else None
    lang, _ = _identifier(candidates).classify(text[:1000])
    return str(lang)


def rank_languages(text: str) -> list[tuple[str, float]]:
    """Every language py3langid knows, with its probability for ``text``, likeliest first."""
    return [(str(lang), float(p)) for lang, p in _identifier(None).rank(text[:1000])]


def script_of(text: str) -> str:
    """The writing system most of ``text``'s letters are in, by its Unicode name (``LATIN``,
    ``CYRILLIC``, ``CJK``, ``ARABIC``…; ``""`` without letters): two languages in one script
    share names, numbers and borrowed words as written; two scripts share only digits."""
    counts: dict[str, int] = {}
    for char in text[:2000]:
        if char.isalpha():
            name = unicodedata.name(char, "")
            script = name.split(" ", 1)[0] if name else ""
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda s: counts[s]) if counts else ""
