"""Term analysis (index/analysis.py): folding, elisions, stop words and stemming per language,
and language detection."""

from __future__ import annotations

import pytest

from index.analysis import _SNOWBALL, _STOPWORDS, analyze, analyze_many, detect_language, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Corée", "coree"),
        ("ÉTÉ à Noël", "ete a noel"),
        ("Straße", "strasse"),  # case folding, not just lower-casing
        ("ﬁn Ⅻ", "fin xii"),  # compatibility forms are decomposed
        ("déjà-vu, l’œuvre", "deja-vu, l’œuvre"),  # only marks go: punctuation and ligatures stay
    ],
)
def test_fold_lowercases_and_removes_accents(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_an_accent_free_spelling_finds_the_same_terms() -> None:
    assert analyze("Coree du Nord", "fr") == analyze("Corée du Nord", "fr") == ["core", "nord"]
    assert analyze("ELECTIONS GRECQUES", "fr") == analyze("élections grecques", "fr")


def test_french_elisions_and_stop_words_are_dropped() -> None:
    assert analyze("L'État d'Israël qu'il lorsqu'on", "fr") == ["etat", "israel"]
    assert analyze("le la les de du des et à", "fr") == []
    assert analyze("été être était là où", "fr") == []  # accented stop words match folded text
    # The typographic apostrophe splits like the plain one.
    assert analyze("l’élection", "fr") == analyze("l'élection", "fr") == analyze("élection", "fr")


@pytest.mark.parametrize("lang", sorted(_STOPWORDS))
def test_every_stop_word_of_a_language_is_dropped_accents_and_all(lang: str) -> None:
    words = _STOPWORDS[lang].split()
    assert analyze(" ".join(words), lang) == []
    assert analyze(" ".join(w.upper() for w in words), lang) == []


def test_stop_words_are_those_of_the_text_language() -> None:
    assert analyze("the storm", "fr") == ["the", "storm"]  # English function words are French content
    assert analyze("été", "en") == ["ete"]
    assert analyze("le port", "en") == ["le", "port"]


def test_words_are_stemmed_with_the_language_stemmer() -> None:
    assert analyze("relations relation", "fr") == ["relat", "relat"]
    assert analyze("The storms were hitting", "en") == ["storm", "hit"]
    assert analyze("Die Häuser", "de") == ["die", "haus"]  # German has a stemmer and no stop list here
    assert analyze("dell'anno all'inizio", "it") == ["anno", "iniz"]  # Italian elisions too


@pytest.mark.parametrize("lang", ["fr-CA", "FR", "fr-FR"])
def test_a_region_or_case_variant_of_a_code_is_its_language(lang: str) -> None:
    assert analyze("Les maisons bleues", lang) == analyze("Les maisons bleues", "fr") == ["maison", "bleu"]


@pytest.mark.parametrize("lang", [None, "", "xx", "zh"])
def test_a_language_without_stemmer_or_stop_list_is_only_folded(lang: str | None) -> None:
    assert lang is None or lang.split("-")[0] not in _SNOWBALL
    assert analyze("Les Maisons BLEUES", lang) == ["les", "maisons", "bleues"]
    assert analyze("l'homme", lang) == ["homme"]  # elisions are dropped whatever the language


def test_numbers_keep_their_decimals_and_underscores_split_words() -> None:
    assert analyze("Le CAC 40 a perdu 2,5 % et 3.14 points", "fr") == [
        "cac",
        "40",
        "perdu",
        "2,5",
        "3.14",
        "point",
    ]
    assert analyze("fin. 2012, puis", "fr") == ["fin", "2012", "puis"]  # a trailing mark is not a decimal
    assert analyze("snake_case", "xx") == ["snake", "case"]


def test_text_without_words_gives_no_terms() -> None:
    assert analyze("", "fr") == [] and analyze("!!! ... « » — ?", "fr") == []


def test_analyze_many_analyses_each_text_alike() -> None:
    texts = ["La capsule Dragon", "", "Les élections grecques"]
    assert analyze_many(texts, "fr") == [analyze(t, "fr") for t in texts]
    assert analyze_many([], "fr") == []


def test_detect_language_of_plain_sentences() -> None:
    assert (
        detect_language("Tropical storm Isaac hit Florida on Monday and the governor declared an emergency.")
        == "en"
    )
    assert detect_language("La fusée Falcon 9 a décollé ce matin de Cap Canaveral avec la capsule.") == "fr"


def test_detect_language_among_given_languages_only() -> None:
    english = "Tropical storm Isaac hit Florida on Monday and the governor declared an emergency."
    assert detect_language(english, among=["fr", "es"]) in {"fr", "es"}
    # The candidates are a set: their order does not change the answer.
    assert detect_language(english, among=["es", "fr"]) == detect_language(english, among=("fr", "es", "fr"))
    assert detect_language("Le gouvernement a annoncé des mesures.", among=["en", "fr"]) == "fr"
