"""The conversations the server keeps for the open pages, and the chat's HTML."""

from __future__ import annotations

import threading
import uuid

from bench.web_users import chat_rows
from qa import Answer
from ui.web.chat import Conversation, Exchange
from ui.web.chat_page import chat_html
from ui.web.conversations import Conversations

PAGE = uuid.uuid4().hex


def answered(conversation: Conversation) -> Conversation:
    *earlier, last = conversation.exchanges
    return Conversation(
        [*earlier, Exchange(last.question, answer=Answer(last.question, "ok", (), (), False, "fr"))]
    )


def test_a_page_keeps_its_conversation_and_a_question_waits_for_the_pending_answer():
    pages = Conversations()
    box, taken = pages.take(PAGE, "  Qui a gagné ?  ")
    assert box == "" and taken is not None and taken.exchanges[-1].pending
    box, again = pages.take(PAGE, "Et ensuite ?")  # sent before the answer came: left in the box
    assert box == "Et ensuite ?" and again is None
    pages.settle(PAGE, taken, answered(taken))
    _, second = pages.take(PAGE, "Et ensuite ?")
    assert second is not None and [e.question for e in second.exchanges] == ["Qui a gagné ?", "Et ensuite ?"]
    assert pages.get(uuid.uuid4().hex).exchanges == []  # another page has its own


def test_a_blank_question_is_not_taken():
    pages = Conversations()
    assert pages.take(PAGE, "   ") == ("   ", None)
    assert pages.take(PAGE, None) == ("", None)
    assert len(pages) == 0


def test_an_answer_that_never_came_is_dropped_so_the_page_can_ask_again():
    pages = Conversations()
    _, taken = pages.take(PAGE, "Qui a gagné ?")
    assert taken is not None
    pages.settle(PAGE, taken, taken)  # the answer failed or the stream was cancelled
    assert pages.get(PAGE).exchanges == []
    assert pages.take(PAGE, "Qui a gagné ?")[1] is not None


def test_a_new_conversation_started_while_answering_is_not_overwritten_by_the_answer():
    pages = Conversations()
    _, taken = pages.take(PAGE, "Qui a gagné ?")
    assert taken is not None
    pages.forget(PAGE)
    pages.settle(PAGE, taken, answered(taken))
    assert pages.get(PAGE).exchanges == []


def test_ids_that_are_not_page_ids_name_no_conversation():
    pages = Conversations()
    for forged in [
        "",
        "short",
        "../../etc/passwd-aaaaaaaaaaaa",
        "x" * 65,
        None,
        12345678901234567,
        ["a" * 20],
    ]:
        _, taken = pages.take(forged, "Qui a gagné ?")
        assert taken is not None  # still answered, once, but kept nowhere
        pages.settle(forged, taken, answered(taken))
        assert pages.get(forged).exchanges == []
    assert len(pages) == 0


def test_the_least_recently_used_conversations_go_first_past_the_bound():
    pages = Conversations(kept=3)
    ids = [uuid.uuid4().hex for _ in range(4)]
    for page in ids[:3]:
        _, taken = pages.take(page, "Q ?")
        assert taken is not None
        pages.settle(page, taken, answered(taken))
    pages.get(ids[0])  # used again: now the most recent
    pages.take(ids[3], "Q ?")
    assert len(pages) == 3
    assert pages.get(ids[1]).exchanges == [] and len(pages.get(ids[0]).exchanges) == 1


def test_one_page_asking_from_many_threads_at_once_gets_one_question_taken():
    pages = Conversations()
    taken: list[object] = []
    start = threading.Barrier(8)

    def ask(n: int) -> None:
        start.wait()
        taken.append(pages.take(PAGE, f"Question {n} ?")[1])

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(t is not None for t in taken) == 1


def test_the_chat_html_escapes_questions_and_offers_examples_while_empty():
    empty = chat_html(Conversation(), "fr", ['Qui a dit "<b>" ?'])
    assert 'data-aq-ask="Qui a dit &quot;&lt;b&gt;&quot; ?"' in empty and "<b>" not in empty
    assert chat_rows(empty) == []
    chat = chat_html(Conversation([Exchange("<script>alert(1)</script>")]), "en")
    assert [role for role, _ in chat_rows(chat)] == ["user", "assistant"]
    assert "<script>" not in chat and "&lt;script&gt;" in chat
    assert "aq-pending" in chat_rows(chat)[1][1]
