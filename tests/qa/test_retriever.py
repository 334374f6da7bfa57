import pytest

from qa import Filters, UnknownFilterError
from qa.question import analyze_question
from qa.retriever import Retriever


def ask(assistant, text, **kw):
    analysis = analyze_question(text, languages=assistant.store.manifest.languages.keys())
    return assistant.retriever.search(analysis, **kw)


def test_passages_carry_article_metadata_offsets_and_component_ranks(fake_assistant):
    [first, *_] = ask(fake_assistant, "Combien de kilos de matériel transporte la capsule ?")
    assert first.article_id == "espace.txt" and first.title == "Lancement réussi pour la capsule Dragon"
    article = fake_assistant.store.article(first.article_id)
    assert article.text[first.start : first.end] == first.text
    assert first.category == "nn-science" and first.source == "WIKINEWS"
    assert first.lexical_rank == 1 and first.dense_rank is not None


def test_filters_by_category_source_dates_and_ids(fake_assistant):
    question = "Que s'est-il passé dimanche ?"
    assert {p.category for p in ask(fake_assistant, question, filters=Filters(category="politique"))} == {
        "politique"
    }
    dated = ask(
        fake_assistant, "storm Florida vote", filters=Filters(date_from="2012-08-01", date_to="2012-12-31")
    )
    assert {p.article_id for p in dated} == {"w2"}
    only = ask(fake_assistant, "capsule", filters=Filters(article_ids=("sport.md",)))
    assert {p.article_id for p in only} == {"sport.md"}
    assert {p.source for p in ask(fake_assistant, "capsule", filters=Filters(source="Wikinews"))} == {
        "Wikinews"
    }


def test_unknown_category_is_a_clear_error_naming_the_known_ones(fake_assistant):
    with pytest.raises(UnknownFilterError, match=r"no category 'sport'.*nn-science, politique, weather"):
        ask(fake_assistant, "capsule", filters=Filters(category="sport"))


def test_bad_dates_and_sizes_are_refused_at_construction(fake_assistant):
    with pytest.raises(ValueError, match="date_from"):
        Filters(date_from="hier")
    with pytest.raises(ValueError, match="top_k"):
        Retriever(fake_assistant.store, fake_assistant.embedder, top_k=0)
    with pytest.raises(ValueError, match="fusion"):
        Retriever(fake_assistant.store, fake_assistant.embedder, fusion="magic")


@pytest.mark.parametrize("fusion", ["linear", "rrf", "dense", "lexical"])
def test_every_fusion_returns_at_most_top_k_distinct_passages(fake_assistant, fusion):
    retriever = Retriever(fake_assistant.store, fake_assistant.embedder, top_k=3, fusion=fusion)
    analysis = analyze_question("La Bourse de Paris a perdu 2,5 %", languages=["fr"])
    passages = retriever.search(analysis)
    assert 1 <= len(passages) <= 3 and len({p.chunk_id for p in passages}) == len(passages)
    assert passages[0].article_id == "nouvelles/economie.html"
