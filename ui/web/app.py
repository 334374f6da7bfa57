"""The Gradio layout of the web app and the wiring of its events.

Building the app loads nothing: the assistant is opened (and its model loaded) by the
caller, see :func:`ui.web.server.serve`. Gradio is imported when :func:`build_app` runs
(:func:`ui.web.gradio_import.gradio`).
(No ``from __future__ import annotations`` here: Gradio reads the handlers' annotations,
``gr.SelectData`` and ``gr.EventData``, as objects.)
"""

import inspect
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import chat, panel, render
from .chat_page import CHAT_JS, NO_CATEGORY, PAGE_ID_AND_LANGUAGE_JS, chat_html
from .chat_page import ask_quoted as quoted
from .conversations import Conversations
from .gradio_import import gradio
from .i18n import gradio_i18n, language, text
from .refresh import Refresher
from .render import esc
from .state import LiveAssistant, answering_at_once
from .style import CITATION_BRIDGE_JS, PAGE_LANGUAGE_JS, READER_JS, SHOW_LATEST_QUESTION_JS
from .uploads import UploadArea

if TYPE_CHECKING:
    import gradio as gr

EXAMPLES = (
    "Qui a rompu ses relations avec la Corée du Nord ?",
    "Combien de morts a fait l'ouragan Sandy ?",
    "Combien d'emplois PSA va-t-il supprimer ?",
    "Qui a remporté le tournoi de Wimbledon en 2012 ?",
)
"""French questions answered by the bundled sample articles."""


def gradio_uploads() -> str:
    """The folder where Gradio keeps the files browsers upload (its cache)."""
    return gradio().utils.get_upload_folder()


def build_app(
    live: LiveAssistant,
    area: UploadArea,
    *,
    examples: Sequence[str] = EXAMPLES,
    refresher: Refresher | None = None,
) -> "gr.Blocks":
    """The app's ``gr.Blocks``: chat, filters, reading panel and index panel (with the sources,
    a field to add a page or a feed, and, with a ``refresher``, how often they are read again).

    >>> demo = build_app(LiveAssistant.open("my-index"), UploadArea("my-index-uploads"))
    >>> demo.queue().launch(server_name="127.0.0.1", i18n=gradio_i18n())
    """
    gradio()  # without its stubs' writing, if not imported yet
    import gradio as gr

    t = gradio_i18n()
    tracked = gr.Progress()
    answering = answering_at_once(live)  # as a default, it asks Gradio for a progress bar per call

    pages = Conversations()  # each open page's conversation, by the id the page made
    asking_now = threading.BoundedSemaphore(answering)  # the chat's calls, beside Gradio's queue

    def empty_reader(lang: str) -> str:
        return f'<p class="aq-empty">{esc(text(lang, "reader_empty"))}</p>'

    # -- handlers (thin: the work is in chat and panel) ------------------------------------
    def on_load(lang: str) -> tuple[Any, ...]:
        lang = language(lang)
        return (
            panel.info_html(live, lang, refresher),
            gr.Dropdown(choices=panel.category_choices(live, lang), value=""),
            panel.dates_info(live, lang),
            empty_reader(lang),
            gr.Dropdown(choices=panel.refresh_choices(lang)),
            chat_html(chat.Conversation(), lang, examples),
        )

    def ask_in_chat(
        question: str,
        category: str | None,
        date_from: str | None,
        date_to: str | None,
        top_k: float,
        mode: str | None,
        page: str,
        lang: str,
    ) -> Iterator[tuple[Any, ...]]:
        """A question of the page's conversation ``page`` as a Gradio event: it shows in the chat
        at once (the box is cleared), then its answer comes, a composed one as it is written.
        The page sends quoted questions to :func:`ask_quoted` instead (cheaper, not streamed)."""
        lang = language(lang)
        box, taken = pages.take(page, question)
        if taken is None:  # blank, or sent before the last answer came: left in the box
            yield box, gr.skip(), gr.skip(), gr.skip()
            return
        yield box, chat_html(taken, lang), gr.skip(), gr.skip()
        now = taken
        try:
            for now in chat.respond_stream(
                live, taken, category=category, date_from=date_from, date_to=date_to, top_k=top_k,
                lang=lang, compose=mode == "composed",
            ):  # fmt: skip
                latest = now.exchanges[-1] if now.exchanges else None
                if latest is not None and latest.pending:  # a composed answer, as it is written
                    yield gr.skip(), chat_html(now, lang), gr.skip(), gr.skip()
                    continue
                pages.settle(page, taken, now)  # before the page sees it, so it can ask again
                choices = chat.citation_choices(now)
                # The reading panel opens the article of the best citation, [1], at its sentence.
                first = chat.opened_first(live, now, lang)
                if first is None:
                    yield gr.skip(), chat_html(now, lang), gr.Dropdown(choices=choices, value=None), gr.skip()
                    continue
                key, opened = first
                yield gr.skip(), chat_html(now, lang), gr.Dropdown(choices=choices, value=key), opened
        finally:
            pages.settle(page, taken, now)

    def ask_quoted(payload: Any) -> dict[str, Any]:
        """The page's quoted question, in one plain call (:func:`chat_page.ask_quoted`)."""
        return quoted(live, pages, payload, at_once=asking_now)

    def ask(
        question: str = "",
        category: str = "",
        date_from: str = "",
        date_to: str = "",
        top_k: int | None = None,
        lang: str = "fr",
        composed: bool = False,
    ) -> dict[str, Any]:
        """Answer one question (no conversation) as JSON: ``Answer.to_dict()``, or
        ``{"error": message, "code": ...}`` with the message in ``lang`` ("fr" or "en").
        ``composed``: the app's language model composes it (if one is configured)."""
        return chat.answer_json(
            live,
            question,
            category=category or None,
            date_from=date_from or None,
            date_to=date_to or None,
            top_k=top_k,
            lang=language(lang),
            compose=composed,
        )

    def open_key(key: str | None, page: str, lang: str) -> tuple[Any, ...]:
        return chat.open_target(live, pages.get(page), key, language(lang)), gr.Tabs(selected="article")

    def open_clicked(page: str, lang: str, event: gr.EventData) -> tuple[Any, ...]:
        key = getattr(event, "key", None)
        return open_key(key if isinstance(key, str) else None, page, lang)

    def listed(page: str, lang: str) -> Any:
        """The citation list, filled when it is opened (not at each answer: an event costs the
        page more than the answer, chat_page)."""
        choices = chat.citation_choices(pages.get(page))
        return gr.Dropdown(choices=choices)

    def restart(page: str, lang: str) -> tuple[Any, ...]:
        pages.forget(page)
        lang = language(lang)
        empty = chat_html(chat.Conversation(), lang, examples)
        return empty, gr.Dropdown(choices=[], value=None), empty_reader(lang)

    def refreshed(lang: str) -> tuple[Any, ...]:
        return (
            panel.info_html(live, lang, refresher),
            gr.Dropdown(choices=panel.category_choices(live, lang)),
            panel.dates_info(live, lang),
        )

    def add(files: list[str] | None, lang: str, progress: gr.Progress = tracked) -> tuple[Any, ...]:
        lang = language(lang)
        batch = [(Path(f).name, f) for f in files or []]
        report = panel.add_files(live, area, batch, lang, received_in=gradio_uploads(), progress=progress)
        return (report, *refreshed(lang), None)

    def add_address(url: str | None, lang: str, progress: gr.Progress = tracked) -> tuple[Any, ...]:
        lang = language(lang)
        return (panel.add_url(live, url, lang, progress=progress), *refreshed(lang), "")

    def refresh_sources(lang: str, progress: gr.Progress = tracked) -> tuple[Any, ...]:
        lang = language(lang)
        return (panel.refresh_now(live, lang, progress=progress), *refreshed(lang))

    def set_every(seconds: Any, lang: str) -> str:
        panel.set_refresh(refresher, seconds)
        return panel.info_html(live, language(lang), refresher)

    def cancel_rebuild(lang: str) -> tuple[Any, ...]:
        return gr.Group(visible=False), render.notice_html(text(language(lang), "rebuild_cancelled"))

    def rebuild(lang: str, progress: gr.Progress = tracked) -> tuple[Any, ...]:
        lang = language(lang)
        report = panel.rebuild(live, lang, progress=progress)
        return (report, *refreshed(lang))

    # -- layout ------------------------------------------------------------------------
    with gr.Blocks(title="article-qa", analytics_enabled=False) as demo:
        lang = gr.Textbox(visible=False, elem_id="aq-lang")  # the page's language, set before each event
        page = gr.Textbox(visible=False, elem_id="aq-page")  # the page's id (chat_page.CHAT_JS), likewise
        gr.HTML(
            t("tagline"),
            html_template='<div class="aq-header"><h1>article-qa</h1><p>${value}</p></div>',
            js_on_load=None,
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chat_view = gr.HTML(
                    chat_html(chat.Conversation(), "fr", examples),  # in the page's language at load
                    js_on_load=CHAT_JS + SHOW_LATEST_QUESTION_JS,
                    server_functions=[ask_quoted],
                    elem_id="aq-chat",
                    padding=False,
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        show_label=False,
                        label=t("question"),
                        placeholder=t("question_placeholder"),
                        elem_id="aq-question",
                        lines=1,
                        max_lines=4,
                        max_length=2000,
                        scale=6,
                        autofocus=True,
                    )
                    send = gr.Button(t("send"), variant="primary", scale=1, min_width=110, elem_id="aq-send")
                with gr.Accordion(t("filters"), open=False, elem_id="aq-filters"):
                    with gr.Row():
                        category = gr.Dropdown(
                            label=t("category"),
                            choices=[(NO_CATEGORY, "")],
                            value="",
                            elem_id="aq-category",
                            min_width=160,
                        )
                        date_from = gr.DateTime(
                            label=t("date_from"),
                            include_time=False,
                            type="string",
                            elem_id="aq-from",
                            min_width=180,
                        )
                        date_to = gr.DateTime(
                            label=t("date_to"),
                            include_time=False,
                            type="string",
                            elem_id="aq-to",
                            min_width=180,
                        )
                    dates = gr.Markdown(elem_id="aq-dates")
                    top_k = gr.Slider(
                        1,
                        chat.MAX_TOP_K,
                        value=live.current.top_k,
                        step=1,
                        label=t("top_k"),
                        elem_id="aq-top-k",
                    )
                with gr.Row(equal_height=False):
                    # Shown only when a language model is configured (article-qa serve --llm-url).
                    mode = gr.Radio(
                        [(t("mode_quoted"), "quoted"), (t("mode_composed"), "composed")],
                        value="composed" if live.composer else "quoted",
                        label=t("answer_mode"),
                        visible=live.composer is not None,
                        elem_id="aq-mode",
                        scale=3,
                    )
                    new_chat = gr.Button(
                        t("new_chat"),
                        size="sm",
                        variant="secondary",
                        elem_id="aq-new",
                        scale=0,
                        min_width=180,
                    )
            with gr.Column(scale=2, min_width=360), gr.Tabs(selected="article") as tabs:
                with gr.Tab(t("tab_article"), id="article"):
                    citations = gr.Dropdown(
                        label=t("open_citation"), choices=[], value=None, elem_id="aq-citations"
                    )
                    reader = gr.HTML(
                        "", js_on_load=READER_JS, max_height=620, elem_id="aq-reader", padding=True
                    )
                with gr.Tab(t("tab_index"), id="index"):
                    info = gr.HTML("", js_on_load=None, elem_id="aq-info")
                    files = gr.File(
                        label=t("upload"),
                        file_count="multiple",
                        file_types=list(area.suffixes),
                        type="filepath",
                        elem_id="aq-upload",
                    )
                    with gr.Row():
                        add_button = gr.Button(t("add"), variant="primary", size="md", elem_id="aq-add")
                        rebuild_button = gr.Button(
                            t("rebuild"), variant="secondary", size="md", elem_id="aq-rebuild"
                        )
                    # A rebuild re-reads every file: it is asked for twice.
                    with gr.Group(visible=False, elem_id="aq-rebuild-confirm") as confirm:
                        gr.Markdown(t("rebuild_confirm"))
                        with gr.Row():
                            rebuild_yes = gr.Button(
                                t("rebuild_yes"), variant="stop", size="sm", elem_id="aq-rebuild-yes"
                            )
                            rebuild_no = gr.Button(
                                t("rebuild_no"), variant="secondary", size="sm", elem_id="aq-rebuild-no"
                            )
                    with gr.Row(equal_height=True):
                        url = gr.Textbox(
                            label=t("url_label"), placeholder=t("url_placeholder"), elem_id="aq-url",
                            scale=3, max_lines=1,
                        )  # fmt: skip
                        add_url_button = gr.Button(t("add_url"), size="md", elem_id="aq-add-url", scale=1)
                    with gr.Row(equal_height=True):
                        every = gr.Dropdown(
                            label=t("refresh_every"), choices=panel.refresh_choices("fr"), elem_id="aq-every",
                            value=int(refresher.every or 0) if refresher else 0, visible=refresher is not None,
                            scale=3,
                        )  # fmt: skip
                        refresh_button = gr.Button(
                            t("refresh_now"), size="md", elem_id="aq-refresh-now", scale=1
                        )
                    report = gr.HTML("", js_on_load=None, elem_id="aq-report")
        bridge = gr.HTML("", js_on_load=CITATION_BRIDGE_JS, elem_id="aq-bridge")

        # -- events ------------------------------------------------------------------------
        # Each event's JavaScript puts the page's language in its last input, ``lang``.
        quick: dict[str, Any] = {"js": PAGE_LANGUAGE_JS, "queue": False}
        paged: dict[str, Any] = {"js": PAGE_ID_AND_LANGUAGE_JS, "queue": False}  # [..., page, lang]
        asking: dict[str, Any] = {
            "js": PAGE_ID_AND_LANGUAGE_JS,
            "show_progress": "hidden",  # the chat says it searches (Gradio's loaders drew every frame)
            "concurrency_limit": answering,
            "concurrency_id": "ask",
        }
        writing: dict[str, Any] = {
            "js": PAGE_LANGUAGE_JS,
            "concurrency_limit": 1,
            "concurrency_id": "index-write",
        }
        hidden: dict[str, Any] = {"api_visibility": "private"}
        asked = [question, category, date_from, date_to, top_k, mode, page, lang]  # [..., page, lang]
        shown = [question, chat_view, citations, reader]

        demo.load(on_load, [lang], [info, category, dates, reader, every, chat_view], **quick, **hidden)
        # Quoted questions from the page go to ask_quoted (CHAT_JS); composed ones, and the API's, here.
        gr.on([question.submit, send.click], ask_in_chat, asked, shown, api_name="question", **asking)
        bridge.open(open_clicked, [page, lang], [reader, tabs], **paged, **hidden)
        citations.focus(listed, [page, lang], [citations], **paged, **hidden)
        citations.input(open_key, [citations, page, lang], [reader, tabs], api_name="open_citation", **paged)
        new_chat.click(restart, [page, lang], [chat_view, citations, reader], **paged, **hidden)
        add_button.click(
            add, [files, lang], [report, info, category, dates, files], api_name="add", **writing
        )
        # The HTTP API's one-call question: one event, JSON out (the page's two events above
        # render the whole conversation as HTML, which costs the server twice per question).
        gr.api(ask, api_name="ask", concurrency_limit=answering, concurrency_id="ask")
        # What a plain HTTP client leaves out is filled in (ui/web/api_defaults.py, at launch).
        demo.api_defaults = {"ask": [p.default for p in inspect.signature(ask).parameters.values()]}  # type: ignore[attr-defined]
        gr.on(
            [add_url_button.click, url.submit],
            add_address,
            [url, lang],
            [report, info, category, dates, url],
            api_name="add_url",
            **writing,
        )
        refresh_button.click(
            refresh_sources, [lang], [report, info, category, dates], api_name="refresh", **writing
        )
        every.input(set_every, [every, lang], [info], **quick, **hidden)
        rebuild_button.click(lambda: gr.Group(visible=True), None, [confirm], queue=False, **hidden)
        rebuild_no.click(cancel_rebuild, [lang], [confirm, report], **quick, **hidden)
        rebuild_yes.click(lambda: gr.Group(visible=False), None, [confirm], queue=False, **hidden).then(
            rebuild, [lang], [report, info, category, dates], api_name="rebuild", **writing
        )
    return demo
