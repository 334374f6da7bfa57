"""The chat's handlers on the real sample index: answers, citations, follow-ups, filters, errors."""

from __future__ import annotations

import re

import pytest

from qa import Turn
from ui.web import chat
from ui.web.state import LiveAssistant

pytestmark = pytest.mark.e2e

SEED_QUESTION = "Qui a rompu ses relations avec la Corée du Nord ?"
SEED_SENTENCE = "L’Ukraine a immédiatement rompu toutes les relations avec la Corée du Nord."
UNANSWERABLE = "Quel est le prix du pain à Tokyo en 1850 ?"


@pytest.fixture(scope="module")
def live(sample_index, real_embedder, tmp_path_factory) -> LiveAssistant:
    return LiveAssistant.open(sample_index, embedder=real_embedder, uploads_dir=tmp_path_factory.mktemp("up"))


def ask(
    live: LiveAssistant, question: str, conversation: chat.Conversation | None = None, **options
) -> chat.Conversation:
    box, conversation = chat.submit(question, conversation or chat.Conversation())
    assert box == "" and conversation.exchanges[-1].pending
    return chat.respond(live, conversation, **options)


def test_a_question_shows_in_words_that_it_is_being_answered_until_its_answer_replaces_that(live):
    _, asked = chat.submit(SEED_QUESTION, chat.Conversation())
    (_, shown_question), (role, waiting) = chat.message_html(asked, "fr")
    assert SEED_QUESTION in shown_question
    assert (
        role == "assistant" and 'class="aq-pending"' in waiting and "Recherche dans les articles" in waiting
    )
    assert "Searching the articles" in chat.message_html(asked, "en")[-1][1]
    answered = chat.respond(live, asked, lang="fr")
    assert [html for _, html in chat.message_html(answered, "fr") if "aq-pending" in html] == []


def test_a_french_question_is_answered_with_the_seed_sentence_cited_and_highlighted(live):
    conversation = ask(live, SEED_QUESTION, lang="fr")
    answer = conversation.exchanges[0].answer
    assert answer is not None and not answer.abstained
    first = answer.citations[0]
    assert first.text == SEED_SENTENCE and first.article_id == "000_b58262a57bd1c4a3.txt"
    (role_q, question_html), (role_a, answer_html) = chat.message_html(conversation, "fr")
    assert (role_q, role_a) == ("user", "assistant") and SEED_QUESTION in question_html
    assert f'<mark class="aq-hl">{SEED_SENTENCE}</mark>' in answer_html
    assert "Dans leur isolement, la Russie et la Corée du Nord se rapprochent" in answer_html
    assert chat.citation_choices(conversation)[0] == (
        f"[1] Dans leur isolement, la Russie et la Corée du Nord se rapprochent — {SEED_SENTENCE}",
        "0.1",
    )


def test_opening_a_citation_shows_the_whole_article_with_the_sentence_highlighted(live):
    conversation = ask(live, SEED_QUESTION, lang="fr")
    out = chat.open_target(live, conversation, "0.1", "fr")
    article = live.current.store.article("000_b58262a57bd1c4a3.txt")
    assert re.findall(r'<mark class="aq-hl aq-target"[^>]*>(.*?)</mark>', out) == [SEED_SENTENCE]
    assert out.count("<mark") == 1 and article.title in out
    assert len(re.sub(r"<[^>]+>", "", out)) > len(article.text) * 0.95  # the whole article, not an excerpt


def test_unknown_or_forged_keys_open_nothing(live):
    conversation = ask(live, SEED_QUESTION, lang="en")
    for key in ("", "x", "9.1", "0.9", "0.p99", "0.1; DROP", "../0.1", None):
        assert "aq-article" not in chat.open_target(live, conversation, key, "en")


def test_follow_up_questions_carry_the_earlier_turns(live, monkeypatch):
    seen: list[list[Turn]] = []
    assistant = live.current
    original = assistant.ask_stream

    def spy(question, **options):
        seen.append(list(options["history"]))
        return original(question, **options)

    monkeypatch.setattr(assistant, "ask_stream", spy)
    conversation = ask(live, SEED_QUESTION, lang="fr")
    conversation = ask(live, "Qui l'a déclaré ?", conversation, lang="fr")
    first = conversation.exchanges[0].answer
    assert first is not None
    assert seen == [[], [Turn(SEED_QUESTION, first.text)]]
    second = conversation.exchanges[1].answer
    assert second is not None and not second.abstained
    # Alone, "Qui l'a déclaré ?" lands in another article; with the conversation, in the seed's.
    # ("Et en avril ?" alone now finds the seed's own "En avril, …" sentence, so it no longer
    # tells a conversation from none.)
    assert assistant.ask("Qui l'a déclaré ?").citations[0].article_id != "000_b58262a57bd1c4a3.txt"
    assert second.citations[0].article_id == "000_b58262a57bd1c4a3.txt"
    assert 'data-aq-open="1.1"' in chat.message_html(conversation, "fr")[-1][1]


def test_an_unanswerable_question_abstains_and_lists_related_passages(live):
    api_answer = live.current.ask(UNANSWERABLE)
    assert api_answer.abstained  # checked with the Python API first
    conversation = ask(live, UNANSWERABLE, lang="fr")
    answer = conversation.exchanges[0].answer
    assert answer is not None and answer.abstained and answer.passages
    html = chat.message_html(conversation, "fr")[-1][1]
    assert (
        "Je n&#x27;ai pas trouvé la réponse dans les articles." in html
        and "Passages les plus proches" in html
    )
    assert "<mark" not in html
    out = chat.open_target(live, conversation, "0.p1", "fr")
    assert 'class="aq-soft aq-target"' in out


def test_category_filter_keeps_to_that_category(live):
    conversation = ask(live, "Qui a signé une lettre ?", category="nn-general", lang="fr")
    answer = conversation.exchanges[0].answer
    assert answer is not None
    assert {p.category for p in answer.passages} == {"nn-general"}


def test_date_filter_keeps_to_those_dates(live):
    conversation = ask(
        live, "Combien de morts ?", date_from="2012-10-01", date_to="2012-10-31", top_k=8, lang="fr"
    )
    answer = conversation.exchanges[0].answer
    assert answer is not None and answer.passages
    assert all(p.date and "2012-10-01" <= p.date[:10] <= "2012-10-31" for p in answer.passages)
    assert len(answer.passages) <= 8


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"category": "sport-fiction"}, "L’index n’a pas de catégorie « sport-fiction » : choisissez-en un dans la liste."),
        ({"date_from": "demain"}, "« demain » n’est pas une date : écrivez-la comme 2012-06-30."),
        ({"date_from": "2012-12-01", "date_to": "2012-01-01"}, "La date de début (2012-12-01) est après la date de fin (2012-01-01)."),
        ({"top_k": 0}, "Réglage hors limites (top_k) : choisissez une valeur entre 1 et 20."),
    ],
)  # fmt: skip
def test_bad_filters_are_told_to_the_person_in_their_language_not_raised(live, options, message):
    conversation = ask(live, SEED_QUESTION, lang="fr", **options)
    exchange = conversation.exchanges[0]
    assert exchange.answer is None and exchange.error == message
    html = chat.message_html(conversation, "fr")[-1][1]
    assert 'role="alert"' in html and "Traceback" not in html
    assert "index;" not in html and "got 0" not in html  # none of the library's English


def test_a_question_without_words_is_a_message_and_a_blank_one_is_ignored(live):
    conversation = ask(live, "???", lang="en")
    assert conversation.exchanges[0].error == "The question has no words: type a question about the articles."
    french = ask(live, "?!…", lang="fr")
    assert (
        french.exchanges[0].error
        == "La question ne contient aucun mot : écrivez une question sur les articles."
    )
    assert chat.submit("   ", conversation) == ("   ", conversation)
    assert chat.submit("\u200b\u00ad", conversation)[1] is conversation  # invisible marks only: blank


def test_a_new_question_waits_for_the_pending_answer():
    _, conversation = chat.submit("Première question ?", chat.Conversation())
    assert chat.submit("Seconde question ?", conversation) == ("Seconde question ?", conversation)


def test_interface_text_follows_the_language_the_answer_follows_the_question(live):
    conversation = ask(live, SEED_QUESTION, lang="en")
    html = chat.message_html(conversation, "en")[-1][1]
    assert "Read the article" in html and "Sources" in html and 'lang="fr"' in html
    assert "Lire l’article" in chat.message_html(conversation, "fr")[-1][1]


def test_a_composed_answer_streams_then_shows_removed_claims_marked(live):
    from qa import Endpoint, GenerativeAnswerer
    from tests.fakes import scripted_llm

    with scripted_llm() as (url, script):
        quoted = live.current.ask(SEED_QUESTION)
        first = quoted.citations[0]
        script.reply = "L’Ukraine a immédiatement rompu toutes les relations avec la Corée du Nord [1]. Elle a aussi rompu avec 14 pays [1]."
        live.composer = GenerativeAnswerer(Endpoint(url, "qwen-test"))
        try:
            _, pending = chat.submit(SEED_QUESTION, chat.Conversation())
            steps = list(chat.respond_stream(live, pending, lang="fr", compose=True, every=0.0))
            plain = chat.respond(live, pending, lang="fr")  # the quoted answer: no model asked
        finally:
            live.composer = None
    drafts, final = steps[:-1], steps[-1]
    assert drafts and all(s.exchanges[-1].pending and s.exchanges[-1].draft for s in drafts)
    assert "aq-draft" in chat.message_html(drafts[0], "fr")[-1][1]
    answer = final.exchanges[-1].answer
    assert answer is not None and answer.mode == "composed" and answer.citations[0].text == first.text
    shown = chat.message_html(final, "fr")[-1][1]
    assert (
        "Rédigée par qwen-test" in shown
        and '<s class="aq-claim">Elle a aussi rompu avec 14 pays.</s>' in shown
    )
    assert "le nombre 14 n’est pas dans les phrases citées" in shown and 'data-aq-open="0.1"' in shown
    assert plain.exchanges[-1].answer.mode == "quoted" and len(script.requests) == 1


def test_a_model_that_cannot_be_reached_gives_the_quoted_answer_with_a_note(live):
    from qa import Endpoint, GenerativeAnswerer

    live.composer = GenerativeAnswerer(Endpoint("http://127.0.0.1:9/v1", "absent"))
    try:
        _, pending = chat.submit(SEED_QUESTION, chat.Conversation())
        *_, final = chat.respond_stream(live, pending, lang="en", compose=True)
    finally:
        live.composer = None
    answer = final.exchanges[-1].answer
    assert answer is not None and answer.mode == "quoted" and answer.check.fallback == "connection"
    assert (
        "The model absent cannot be reached: here are the cited sentences."
        in chat.message_html(final, "en")[-1][1]
    )


def test_what_the_model_writes_is_escaped_in_the_draft_and_the_answer(live):
    from qa import Endpoint, GenerativeAnswerer
    from tests.fakes import scripted_llm

    with scripted_llm() as (url, script):
        script.reply = (
            'L’Ukraine a rompu ses relations avec la Corée du Nord <img src=x onerror="alert(1)"> [1]. '
            "<script>alert(2)</script> [1]."
        )
        live.composer = GenerativeAnswerer(Endpoint(url, "<b>model</b>"))
        try:
            _, pending = chat.submit(SEED_QUESTION, chat.Conversation())
            steps = list(chat.respond_stream(live, pending, lang="fr", compose=True, every=0.0))
        finally:
            live.composer = None
    for step in steps:
        shown = chat.message_html(step, "fr")[-1][1]
        assert "<img" not in shown and "<script" not in shown and "<b>" not in shown
    assert "&lt;img src=x" in chat.message_html(steps[-1], "fr")[-1][1]


def test_a_new_question_in_a_conversation_is_not_dragged_back_to_the_earlier_topic(live):
    # Found by bench/web_llm.py: asked after the Assange question, this one cited the Assange article.
    conversation = ask(live, "Quel pays a accordé l'asile politique à Julian Assange ?", lang="fr")
    conversation = ask(live, "Qui a été élu président en Égypte ?", conversation, lang="fr")
    answer = conversation.exchanges[-1].answer
    assert answer is not None and "Morsi" in answer.citations[0].text


def test_when_the_model_finds_no_answer_the_chat_says_so_and_lists_the_passages(live):
    # The quoted answer used to be shown as if the model had found it.
    from qa import Endpoint, GenerativeAnswerer
    from tests.fakes import scripted_llm

    with scripted_llm() as (url, script):
        script.reply = "NOT FOUND"
        live.composer = GenerativeAnswerer(Endpoint(url, "qwen-test"))
        try:
            _, pending = chat.submit(SEED_QUESTION, chat.Conversation())
            *_, final = chat.respond_stream(live, pending, lang="en", compose=True)
        finally:
            live.composer = None
    answer = final.exchanges[-1].answer
    assert answer is not None and answer.abstained and answer.check.declined and not answer.citations
    shown = chat.message_html(final, "en")[-1][1]
    assert "aq-abstained" in shown and "The model qwen-test read the closest passages" in shown
    assert shown.count('class="aq-cite aq-related"') == len(answer.passages) > 0
