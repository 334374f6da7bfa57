import json

import pytest

import index
from qa import (
    Answer,
    Assistant,
    Filters,
    IndexMismatchError,
    IndexNotFoundError,
    QuestionError,
    Turn,
    UnknownFilterError,
)
from tests.fakes import FakeEmbedder


def test_answer_cites_exact_sentences_with_offsets(fake_assistant):
    answer = fake_assistant.ask("Combien de kilos de matériel la capsule transporte-t-elle ?")
    assert not answer.abstained and answer.citations
    best = answer.citations[0]
    assert best.number == 1 and best.text == "Elle transporte 521 kg de matériel."
    for c in answer.citations:
        article = fake_assistant.store.article(c.article_id)
        assert article.text[c.start : c.end] == c.text
        assert c.passage.start <= c.start < c.end <= c.passage.end
        assert f"{c.text} [{c.number}]" in answer.text
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.language == "fr"


def test_a_citation_s_dict_is_what_asdict_gives_with_its_passage_by_id_and_its_article_s_place():
    from dataclasses import asdict

    from qa.records import Citation, Passage, Publication

    passage = Passage(
        3, "Le texte.", "a1", "Titre", 0, 9, 1, 2, 0.5, "2012-10-30", "Monde", "AFP", "http://x", 1
    )
    elsewhere = (Publication("a2", "Autre titre", "Le Monde", None, "2012-10-31"),)
    citation = Citation(1, "Le texte.", "a1", "Titre", 0, 9, 0.9, 2, passage, "fr", 3, "Ann", elsewhere, 4)
    expected = asdict(citation) | {"passage": 3, "url": "http://x", "source": "AFP", "date": "2012-10-30"}
    assert citation.to_dict() == expected and list(citation.to_dict()) == list(expected)
    assert passage.to_dict() == asdict(passage)


def test_answer_to_dict_is_json_ready(fake_assistant):
    data = json.loads(json.dumps(fake_assistant.ask("Qui a gagné le Tour ?").to_dict()))
    assert set(data) == {
        "question",
        "text",
        "abstained",
        "language",
        "citations",
        "passages",
        "timings",
        "mode",
        "check",
    }
    assert data["mode"] == "quoted" and data["check"] is None
    if data["citations"]:
        assert data["citations"][0]["passage"] in {p["chunk_id"] for p in data["passages"]}


def test_abstains_in_the_question_language_with_related_reading(corpus, tmp_path, fake_embedder):
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    strict = Assistant.open(tmp_path / "ix", embedder=fake_embedder, threshold=0.999)
    answer = strict.ask("Quel est le prix du pain à Tokyo ?")
    assert answer.abstained and answer.citations == ()
    assert answer.text == "Je n'ai pas trouvé la réponse dans les articles."
    assert answer.passages  # still offered as related reading
    english = strict.ask("What did the governor of Florida declare?")
    assert english.abstained and english.text == "I could not find the answer in the articles."


def test_follow_up_question_is_answered_with_the_subject_of_the_conversation(fake_assistant):
    history = [Turn("Que transporte la capsule Dragon vers la station ?", "…")]
    answer = fake_assistant.ask("Et combien de jours ?", history=history)
    assert answer.passages[0].article_id == "espace.txt"
    assert any("18 jours" in c.text for c in answer.citations)
    # Plain strings and (question, answer) pairs are accepted as turns too.
    assert fake_assistant.ask(
        "Et combien de jours ?", history=[("Que transporte la capsule Dragon ?", "")]
    ).passages


def test_search_returns_passages_only(fake_assistant):
    passages = fake_assistant.search("Bourse de Paris", top_k=2)
    assert len(passages) <= 2 and passages[0].article_id == "nouvelles/economie.html"


@pytest.mark.parametrize("question", ["", "   \n\t", "?!…", '"', "*", "« »"])
def test_empty_or_wordless_questions_are_refused_clearly(fake_assistant, question):
    with pytest.raises(QuestionError, match="question"):
        fake_assistant.ask(question)


@pytest.mark.parametrize(
    "question", ['"capsule', "capsule*", "OR", "capsule OR", "NEAR(capsule", "AND NOT ^x: (("]
)
def test_fts_syntax_in_questions_never_breaks(fake_assistant, question):
    answer = fake_assistant.ask(question)
    assert isinstance(answer, Answer)


def test_ten_thousand_character_question_is_answered_or_abstained(fake_assistant):
    answer = fake_assistant.ask("capsule " * 1250)
    assert isinstance(answer, Answer) and len(answer.question) <= 2000


def test_unknown_category_filter_is_a_clear_error(fake_assistant):
    with pytest.raises(UnknownFilterError, match="known: nn-science, politique, weather"):
        fake_assistant.ask("capsule", filters=Filters(category="inconnue"))


def test_missing_index_and_other_model_say_what_to_do(corpus, tmp_path, fake_embedder):
    with pytest.raises(IndexNotFoundError, match="article-qa index build"):
        Assistant.open(tmp_path / "nowhere", embedder=fake_embedder)
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    with pytest.raises(IndexMismatchError, match=r"fake-hash-64.*other-model.*--rebuild"):
        Assistant.open(tmp_path / "ix", embedder=FakeEmbedder(name="other-model"))


def test_options_are_checked(fake_assistant):
    with pytest.raises(ValueError, match="threshold"):
        Assistant(fake_assistant.store, fake_assistant.embedder, threshold=2)
    with pytest.raises(ValueError, match="top_k"):
        fake_assistant.ask("capsule", top_k=0)


def test_copies_of_one_story_are_shown_and_cited_once(tmp_path, fake_embedder):
    story = (
        "La capsule Dragon a quitté Cap Canaveral mardi. Elle transporte 521 kg de matériel. "
        "Elle restera dix-huit jours amarrée à la station."
    )
    records = [
        {"id": f"agence-{n}", "title": f"Dragon part vers l'ISS ({paper})", "text": story}
        for n, paper in enumerate(["Le Soir", "La Presse", "Le Temps"])
    ]
    records.append(
        {"id": "autre", "title": "Tour de France", "text": "Le coureur a gagné l'étape de montagne."}
    )
    corpus = tmp_path / "wire.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    assistant = Assistant.build([corpus], tmp_path / "ix", embedder=fake_embedder, threshold=0.0)
    answer = assistant.ask("Combien de kilos de matériel la capsule Dragon transporte-t-elle ?", top_k=5)
    texts = [p.text for p in answer.passages]
    assert len(texts) == len(set(texts)) and story in texts
    cited = [c.text for c in answer.citations]
    assert cited[0] == "Elle transporte 521 kg de matériel." and len(cited) == len(set(cited))


def test_a_citation_in_a_pdf_names_the_page_it_stands_on_and_its_author(tmp_path, fake_embedder):
    from tests.fakes import FAKE_THRESHOLD
    from tests.index.test_paged_articles import write_paged

    corpus = write_paged(tmp_path / "articles")
    assistant = Assistant.build([corpus], tmp_path / "ix", embedder=fake_embedder, threshold=FAKE_THRESHOLD)
    answer = assistant.ask("Les dépenses ont-elles baissé ?")
    best = answer.citations[0]
    assert (best.article_id, best.text) == ("rapport.pdf", "Page deux : les dépenses ont baissé.")
    assert (best.page, best.author) == (2, "Jeanne Dupont")  # the sentence starts on page 2
    data = json.loads(json.dumps(answer.to_dict()))["citations"][0]
    assert (data["page"], data["author"]) == (2, "Jeanne Dupont")
    first = assistant.ask("De combien le budget est-il en hausse cette année ?").citations
    assert next((c.page, c.text) for c in first if c.article_id == "rapport.pdf") == (
        1,
        "Il est en hausse de 3 % cette année.",
    )
    other = assistant.ask("Combien de kilos de matériel la capsule transporte-t-elle ?").citations[0]
    assert (other.article_id, other.page, other.author) == ("espace.txt", None, None)
