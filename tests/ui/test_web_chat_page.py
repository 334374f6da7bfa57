"""The chat in Chromium: its own call to the server, and what it does when that call goes wrong."""

from __future__ import annotations

import re

import pytest

from tests.ui.test_web_browser import (
    SEED_QUESTION,
    SEED_SENTENCE,
    ask,
    assert_target_in_view,
    opened,
    wait_for_target,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_an_example_asks_and_a_question_the_server_never_got_comes_back_to_the_box(browser, sample_url):
    with opened(browser, sample_url) as page:
        ask(page, "Combien de morts a fait l'ouragan Sandy ?")
        page.click("#aq-new")
        page.locator("#aq-chat .aq-example", has_text="Corée").click()  # in the empty chat
        page.wait_for_selector("#aq-chat .aq-answer")
        assert SEED_SENTENCE in page.locator("#aq-chat .aq-answer").last.inner_text()
        assert page.input_value("#aq-question textarea") == ""
        # The reader shows [1]'s article scrolled to its sentence (far down that article).
        wait_for_target(page, SEED_SENTENCE)
        assert_target_in_view(page)
        # The server cannot be reached: the chat says so and the question is back in the box.
        cut = re.compile(r"/component_server")
        page.route(cut, lambda route: route.abort())
        ask(page, "Combien d'emplois PSA va-t-il supprimer ?")
        assert "envoyez-la de nouveau" in page.locator("#aq-chat .aq-answer").last.inner_text()
        assert page.input_value("#aq-question textarea") == "Combien d'emplois PSA va-t-il supprimer ?"
        page.unroute(cut)
        page.press("#aq-question textarea", "Enter")  # sent again, it is answered
        page.wait_for_function(
            "() => [...document.querySelectorAll('#aq-chat .aq-answer')].some(a => a.textContent.includes('8 000'))"
        )
        assert page.input_value("#aq-question textarea") == ""
        page.click("#aq-new")  # a new conversation offers the examples again
        page.wait_for_selector("#aq-chat .aq-example")
        assert page.locator("#aq-chat .aq-answer").count() == 0
        # An answer that comes after a new conversation began stays out of it.
        held: list = []
        page.route(cut, lambda route: held.append(route))
        page.fill("#aq-question textarea", "Combien de morts a fait l'ouragan Sandy ?")
        page.click("#aq-send")
        page.wait_for_function("() => document.querySelector('.aq-pending')")  # drawn: it is slow
        page.click("#aq-new")
        page.wait_for_selector("#aq-chat .aq-example")
        held[0].continue_()  # now the answer comes
        page.unroute(cut)
        page.wait_for_timeout(1500)
        assert page.locator("#aq-chat .aq-answer").count() == 0
        assert page.locator("#aq-chat .aq-example").count() == 4


def test_the_filters_as_the_page_shows_them_go_with_the_question(browser, sample_url):
    with opened(browser, sample_url) as page:
        page.click("#aq-filters button")  # open "Filtres et réglages"
        page.fill("#aq-from input", "2030-01-01")  # after every article of the sample
        ask(page, SEED_QUESTION)
        assert "Je n'ai pas trouvé la réponse" in page.locator("#aq-chat .aq-answer").last.inner_text()
        page.fill("#aq-from input", "2030-13-45")
        ask(page, SEED_QUESTION)
        assert "2030-13-45" in page.locator("#aq-chat .aq-answer.aq-error").last.inner_text()
        page.fill("#aq-from input", "")
        page.click("#aq-category input")
        page.locator("ul[role=listbox] li", has_text="nn-general").click()
        assert page.locator("#aq-category input").input_value() == "nn-general"
        ask(page, SEED_QUESTION)
        assert SEED_SENTENCE in page.locator("#aq-chat .aq-answer").last.inner_text()
