"""The web app in headless Chromium, as a person uses it: ask, read the citation, open the article.

Each server is the real ``article-qa serve`` on 127.0.0.1; the browser is Debian's chromium
(``make browser`` installs it), driven by Playwright with a fresh profile.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator

import pytest

import index
from tests.paths import SEED
from tests.ui.test_web_app import served

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip

SEED_QUESTION = "Qui a rompu ses relations avec la Corée du Nord ?"
SEED_SENTENCE = "L’Ukraine a immédiatement rompu toutes les relations avec la Corée du Nord."
UNANSWERABLE = "Quel est le prix du pain à Tokyo en 1850 ?"
XSS_TITLE = "<script>window.__xss=1</script> Le piège"
XSS_TEXT = (
    "Le conseil a voté la fermeture du port de Brest.\n\n"
    'La mairie a publié <img src=x onerror="window.__xss=1"> un communiqué sur le port de Brest. '
    "${window.__xss=2} {{constructor.constructor('window.__xss=3')()}}\n\n"
    "<script>window.__xss=1</script> Le port rouvrira en juin."
)


def new_page(playwright, locale: str = "fr-FR"):
    """A page in a fresh profile that records every request leaving 127.0.0.1."""
    profile = tempfile.mkdtemp(prefix="aq-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        locale=locale, viewport={"width": 1400, "height": 1000},
    )  # fmt: skip
    page = context.pages[0] if context.pages else context.new_page()
    page.outside = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("http://127.0.0.1:", "data:", "blob:")) else page.outside.append(r.url)
        ),
    )
    page.set_default_timeout(30_000)
    return context, page, profile


@contextlib.contextmanager
def opened(playwright, url: str) -> Iterator[object]:
    """A fresh page (``new_page``) showing the app at ``url``, closed afterwards."""
    context, page, profile = new_page(playwright)
    try:
        page.goto(url)
        page.wait_for_selector("#aq-question textarea")
        yield page
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def ask(page, question: str) -> None:
    """Type a question, send it, wait for its answer (or message) to show."""
    before = page.locator("#aq-chat .aq-answer").count()
    page.fill("#aq-question textarea", question)
    page.click("#aq-send")
    page.wait_for_function(
        "n => document.querySelectorAll('#aq-chat .aq-answer').length > n", arg=before, timeout=30_000
    )


@pytest.fixture(scope="module")
def untrusted_url(real_embedder, tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser-untrusted")
    articles = root / "articles"
    articles.mkdir()
    (articles / "piege.txt").write_text(f"{XSS_TITLE}\n\n{XSS_TEXT}", "utf-8")
    shutil.copy(SEED, articles / SEED.name)
    index.build([articles], root / "index", embedder=real_embedder)
    with served(root / "index", root / "serve.log") as url:
        yield url


def test_a_french_question_is_answered_cited_and_opened_at_the_sentence(browser, sample_url):
    context, page, profile = new_page(browser)
    try:
        page.goto(sample_url)
        page.wait_for_selector("#aq-question textarea")
        assert page.locator("#aq-send").inner_text().strip() == "Envoyer"
        # The frame guard ran before Gradio's code: first in the head, and the function in use.
        assert page.evaluate(
            "() => document.head.firstElementChild.textContent.includes('/statustracker-')"
            " && !String(window.requestAnimationFrame).includes('[native code]')"
        )
        ask(page, SEED_QUESTION)
        answer = page.locator("#aq-chat .aq-answer").last
        assert SEED_SENTENCE in answer.locator(".aq-text").inner_text()
        assert answer.locator(".aq-cite mark.aq-hl").first.inner_text() == SEED_SENTENCE
        # Idle, the page asks for a few frames a second (the loading screen's logo asked for 50).
        assert frames_asked_for(page, seconds=2) <= 20
        assert "Dans leur isolement, la Russie et la Corée du Nord se rapprochent" in answer.inner_text()
        # The reader opens the best citation's article at its sentence, scrolled into view.
        wait_for_target(page, SEED_SENTENCE)
        assert page.locator("#aq-reader .aq-article-title").inner_text().startswith("Dans leur isolement")
        assert_target_in_view(page)

        ask(page, "Combien de morts a fait l'ouragan Sandy ?")
        wait_for_target(page, "Sandy")
        # The chat shows the latest question at its top, its answer below (not the chat's end).
        page.wait_for_function(
            """() => {
                const log = document.querySelector('#aq-chat [role=log]');
                const rows = log.querySelectorAll('.user-row');
                const top = rows[rows.length - 1].getBoundingClientRect().top - log.getBoundingClientRect().top;
                return rows.length === 2 && top >= 0 && top < 40;
            }"""
        )
        page.locator("#aq-chat .aq-answer").first.locator("a.aq-ref").first.click()  # the first [1]
        wait_for_target(page, SEED_SENTENCE)
        assert_target_in_view(page)

        page.click("#aq-citations input")  # the latest answer's citation, chosen from the list
        page.locator("ul[role=listbox] li").first.click()
        page.wait_for_function(
            "() => document.querySelector('#aq-reader mark.aq-target')?.textContent.includes('Sandy')"
        )
        assert page.outside == [], "no request may leave the machine"
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def frames_asked_for(page, seconds: float) -> int:
    """How many animation frames the page asks for in ``seconds``, once it has settled."""
    page.wait_for_timeout(1000)
    return page.evaluate(
        """seconds => new Promise(resolve => {
            const asked = window.requestAnimationFrame;
            let count = 0;
            window.requestAnimationFrame = (callback) => { count += 1; return asked(callback); };
            setTimeout(() => { window.requestAnimationFrame = asked; resolve(count); }, seconds * 1000);
        })""",
        seconds,
    )


def wait_for_target(page, text: str) -> None:
    """Wait until the reading panel highlights a sentence holding ``text``."""
    page.wait_for_function(
        "s => (document.querySelector('#aq-reader mark.aq-target')?.textContent || '').includes(s)", arg=text
    )


def assert_target_in_view(page) -> None:
    """The highlighted sentence is inside the reading panel's visible area, and the window's."""
    page.wait_for_timeout(900)  # the smooth scroll
    assert page.evaluate(
        """() => {
            const t = document.querySelector('#aq-reader mark.aq-target').getBoundingClientRect();
            const r = document.querySelector('#aq-reader').getBoundingClientRect();
            return t.top >= r.top && t.bottom <= r.bottom && t.bottom <= window.innerHeight;
        }"""
    ), "the highlighted sentence is scrolled into view"


def test_an_unanswerable_question_says_so_and_lists_related_passages(browser, sample_url):
    with opened(browser, sample_url) as page:
        ask(page, UNANSWERABLE)
        answer = page.locator("#aq-chat .aq-answer").last
        assert "aq-abstained" in (answer.get_attribute("class") or "")
        assert "Je n'ai pas trouvé la réponse dans les articles." in answer.inner_text()
        assert answer.locator(".aq-related").count() >= 1 and answer.locator("mark").count() == 0


def test_the_interface_follows_an_english_browser(browser, sample_url):
    context, page, profile = new_page(browser, locale="en-US")
    try:
        page.goto(sample_url)
        page.wait_for_selector("#aq-question textarea")
        assert page.locator("#aq-send").inner_text().strip() == "Send"
        ask(page, SEED_QUESTION)
        answer = page.locator("#aq-chat .aq-answer").last
        assert "Read the article" in answer.inner_text() and SEED_SENTENCE in answer.inner_text()
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_untrusted_article_text_shows_literally_and_runs_nothing(browser, untrusted_url):
    context, page, profile = new_page(browser)
    try:
        page.goto(untrusted_url)
        page.wait_for_selector("#aq-question textarea")
        ask(page, "Qu'a publié la mairie sur le port de Brest ?")
        answer = page.locator("#aq-chat .aq-answer").last
        shown = answer.inner_text()
        assert XSS_TITLE in shown and '<img src=x onerror="window.__xss=1">' in shown
        answer.locator(".aq-open").first.click()
        page.locator("#aq-reader mark.aq-target").wait_for()
        article = page.locator("#aq-reader").inner_text()
        assert XSS_TITLE in article and "<script>window.__xss=1</script> Le port rouvrira en juin." in article
        assert "${window.__xss=2}" in article and "{{constructor.constructor(" in article
        page.wait_for_timeout(500)
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.locator("img[src='x']").count() == 0 and page.locator("#aq-chat script").count() == 0
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_uploaded_articles_are_indexed_with_progress_and_problems_listed(browser, untrusted_url, tmp_path):
    good = tmp_path / "phare.txt"
    good.write_text(
        "Le phare de Cordouan rouvre\n\nLe phare de Cordouan accueille de nouveau les visiteurs depuis samedi. "
        "Les gardiens ont repeint la lanterne en vert émeraude.",
        "utf-8",
    )
    bad = tmp_path / "fil.jsonl"
    bad.write_text(
        '{"id": "r1", "title": "Dépêche", "text": "Le tramway de Brest circule."}\n{oops\n', "utf-8"
    )
    context, page, profile = new_page(browser)
    try:
        page.goto(untrusted_url)
        page.click("button[role=tab]:has-text('Index')")
        page.locator("#aq-upload input[type=file]").set_input_files([str(good), str(bad)])
        page.wait_for_timeout(500)
        page.click("#aq-add")
        report = page.locator("#aq-report .aq-report")
        report.wait_for(timeout=60_000)
        text = report.inner_text()
        assert "2 article(s) ajouté(s)" in text and "fil.jsonl:2: JSON mal formé" in text
        # The summary wraps inside the panel (the notice once took the index table's grid layout).
        assert page.evaluate(
            "() => { const p = document.querySelector('#aq-report p'); return p.scrollWidth <= p.clientWidth + 1; }"
        )
        assert page.locator("#aq-info dd").first.inner_text() == "4"  # 2 articles before
        ask(page, "De quelle couleur est la lanterne du phare de Cordouan ?")
        answer = page.locator("#aq-chat .aq-answer").last
        assert "Le phare de Cordouan rouvre" in answer.inner_text()
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_rebuild_asks_first_and_cancelling_changes_nothing(browser, sample_url):
    context, page, profile = new_page(browser)
    try:
        page.goto(sample_url)
        page.click("button[role=tab]:has-text('Index')")
        page.locator("#aq-info dl").wait_for()
        before = page.locator("#aq-info dl").inner_text()
        page.click("#aq-rebuild")
        page.locator("#aq-rebuild-no").wait_for(state="visible")
        assert page.get_by_text("Reconstruire tout l’index à partir de ses fichiers").is_visible()
        page.click("#aq-rebuild-no")
        page.locator("#aq-rebuild-no").wait_for(state="hidden")
        assert "Reconstruction annulée" in page.locator("#aq-report").inner_text()
        page.wait_for_timeout(1000)
        assert page.locator("#aq-info dl").inner_text() == before  # nothing was rebuilt
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_the_interface_language_chosen_is_kept_on_reload(browser, sample_url):
    context, page, profile = new_page(browser, locale="fr-FR")
    try:
        page.goto(sample_url)
        page.wait_for_selector("#aq-question textarea")
        assert page.locator("#aq-send").inner_text().strip() == "Envoyer"
        # Gradio's settings mark the chosen language on <html lang>; the page remembers it.
        page.evaluate("document.documentElement.setAttribute('lang', 'en')")
        page.reload()
        page.wait_for_selector("#aq-question textarea")
        page.wait_for_function("() => document.querySelector('#aq-send').innerText.trim() === 'Send'")
        ask(page, "???")  # an error of the answering layer, in the interface's language
        assert "The question has no words" in page.locator("#aq-chat .aq-answer").last.inner_text()
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_sources_are_listed_refreshed_and_a_feed_is_added_from_the_page(browser, real_embedder, tmp_path):
    from tests.index.test_web_sources import LOCAL, rss, serve_pages
    from tests.web_server import Route, web_server

    with web_server() as site:
        serve_pages(site)
        dragon = ("/actualite/article-1", "Dragon", "Tue, 22 May 2012 08:00:00 GMT")
        lagos = ("/actualite/article-2", "Lagos", "Tue, 05 Jun 2012 08:00:00 GMT")
        site.routes["/feed.rss"] = Route(rss(site, [dragon]), type="application/rss+xml", etag='"v1"')
        site.routes["/autre.rss"] = Route(rss(site, [lagos]), type="application/rss+xml")
        index.build([site.url("/feed.rss")], tmp_path / "index", embedder=real_embedder, fetch=LOCAL)
        args = ("--refresh", "30m", "--allow-private-urls")
        with served(tmp_path / "index", tmp_path / "serve.log", *args) as url:
            context, page, profile = new_page(browser)
            try:
                page.goto(url)
                page.click("button[role=tab]:has-text('Index')")
                sources = page.locator("#aq-info .aq-sources")
                sources.wait_for()
                assert "flux" in sources.inner_text() and site.url("/feed.rss") in sources.inner_text()
                assert "Actualisation toutes les 30 min" in page.locator("#aq-info .aq-refresh").inner_text()

                page.fill("#aq-url input, #aq-url textarea", "file:///etc/passwd")
                page.click("#aq-add-url")
                page.wait_for_function(
                    "() => (document.querySelector('#aq-report') || {}).innerText?.includes('http et https')"
                )
                page.fill("#aq-url input, #aq-url textarea", site.url("/autre.rss"))
                page.click("#aq-add-url")
                page.wait_for_function(
                    "() => (document.querySelector('#aq-report') || {}).innerText?.includes('1 article(s) ajouté(s)')",
                    timeout=60_000,
                )
                assert page.locator("#aq-info .aq-source-item").count() == 2

                ask(page, "Combien de personnes étaient à bord de l'avion qui s'est écrasé à Lagos ?")
                answer = page.locator("#aq-chat .aq-answer").last
                link = answer.locator(".aq-origin a.aq-source").first
                assert link.get_attribute("href") == site.url("/actualite/article-2")
                assert link.get_attribute("rel") == "noopener noreferrer nofollow"
                assert "Le Fil Test" in answer.locator(".aq-origin").first.inner_text()
                with context.expect_page() as opened:
                    link.click()
                assert opened.value.url == site.url("/actualite/article-2")  # the original, in a new tab
                opened.value.close()
                assert not page.outside  # nothing left 127.0.0.1

                page.click("#aq-refresh-now")
                page.wait_for_function(
                    "() => (document.querySelector('#aq-report') || {}).innerText?.includes('Sources relues')",
                    timeout=60_000,
                )
                page.screenshot(path=str(tmp_path / "sources.png"))
            finally:
                context.close()
                shutil.rmtree(profile, ignore_errors=True)
