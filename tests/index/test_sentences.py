import itertools

import pytest

from index import sample_sources
from index.normalize import normalize_text
from index.readers import read_sources
from index.sentences import split_sentences


def texts(text: str, lang: str = "fr") -> list[str]:
    sentences = split_sentences(text, lang=lang)
    for s in sentences:
        assert text[s.start : s.end] == s.text
    return [s.text for s in sentences]


def test_french_titles_decimals_and_guillemets_stay_inside_sentences():
    text = normalize_text(
        "M. Dupont a payé 9,40 euros. Le Dr Martin a dit : « Bonjour. » à Mme Durand. "
        "Puis il est parti... Vraiment ? Oui !"
    )
    assert texts(text) == [
        "M. Dupont a payé 9,40 euros.",
        "Le Dr Martin a dit : « Bonjour. » à Mme Durand.",
        "Puis il est parti...",
        "Vraiment ?",
        "Oui !",
    ]


def test_english_abbreviations_and_initials():
    text = "Mr. Smith paid $3.50 for U.S. coffee. J. R. R. Tolkien wrote it. Dr. Who left."
    assert texts(text, "en") == [
        "Mr. Smith paid $3.50 for U.S. coffee.",
        "J. R. R. Tolkien wrote it.",
        "Dr. Who left.",
    ]


def test_initials_before_a_name_do_not_end_a_sentence():
    text = "Il apportait son soutien à A. Montebourg hier. Les températures atteignent 40°C. Puis la pluie."
    assert texts(text) == [
        "Il apportait son soutien à A. Montebourg hier.",
        "Les températures atteignent 40°C.",
        "Puis la pluie.",
    ]


def test_a_dateline_dash_does_not_open_the_next_sentence():
    text = "22 mai 2012. - Prévu pour samedi, le lancement a été reporté."
    assert texts(text) == ["22 mai 2012.", "Prévu pour samedi, le lancement a été reporté."]


def test_headings_and_list_items_are_their_own_sentences():
    text = normalize_text("Les chiffres\n\n- premier point\n- second point\n\nFin du texte.")
    assert texts(text) == ["Les chiffres", "- premier point", "- second point", "Fin du texte."]


def test_overlong_sentence_is_cut_at_spaces_within_the_bound():
    text = "mot " * 2000
    pieces = split_sentences(text.strip(), lang="fr", max_chars=500)
    assert len(pieces) >= 16
    assert all(len(s.text) <= 500 for s in pieces)
    assert all(not s.text.startswith(" ") and not s.text.endswith(" ") for s in pieces)


def test_max_chars_must_be_sensible():
    with pytest.raises(ValueError, match="max_chars"):
        split_sentences("x", lang="fr", max_chars=3)


def test_every_sample_article_sentence_matches_its_offsets():
    read = read_sources(sample_sources())
    assert len(read.articles) == 101 and not read.problems
    for article in read.articles:
        sentences = split_sentences(article.text, lang=article.lang, article_id=article.id)
        assert sentences, article.id
        for s in sentences:
            assert article.text[s.start : s.end] == s.text
            assert s.text == s.text.strip() and s.text
        # Ordinals are 0..n-1 and spans do not overlap.
        assert [s.ordinal for s in sentences] == list(range(len(sentences)))
        assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))
