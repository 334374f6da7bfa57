"""The app's CSS, and the few lines of JavaScript it runs in the page."""

from __future__ import annotations

PAGE_LANGUAGE_JS = """
(...args) => {
  args[args.length - 1] = document.documentElement.lang || navigator.language || "";
  return args;
}
"""
"""Run before an event: its last input becomes the page's language (the browser's, or the
one chosen in the settings), so that rendered HTML speaks it too."""

LANGUAGE_MEMORY_HEAD = r"""<script>
(async () => {
  const KEY = "article-qa-lang";
  const html = document.documentElement;
  let saved = null;
  try { saved = window.localStorage.getItem(KEY); } catch (e) {}
  // Gradio adds this to the page once it has chosen a language from the browser's.
  for (let i = 0; i < 50 && !html.lang; i++) await new Promise((r) => setTimeout(r, 100));
  if (saved && saved !== html.lang) {
    // Its language store lives in its "core" module; importing the same URL gives the same one.
    const core = performance.getEntriesByType("resource").map((e) => e.name)
      .find((name) => /\/assets\/core-[\w-]+\.js$/.test(name));
    try { if (core) (await import(core)).changeLocale(saved); } catch (e) {}
  }
  new MutationObserver(() => {
    try { if (html.lang) window.localStorage.setItem(KEY, html.lang); } catch (e) {}
  }).observe(html, { attributes: true, attributeFilter: ["lang"] });
})();
</script>"""
"""In the page's head: the interface language chosen in Gradio's settings (which mark it on
``<html lang>``) is remembered in the browser and chosen again on the next visit."""

FRAME_GUARD_HEAD = r"""<script>
(() => {
  // Gradio's status tracker counts the seconds of a pending event at every animation frame,
  // and the one of the app's loading screen never stops: it is removed while still pending.
  // Its animated logo is left running too: its springs go on in Svelte's frame loop, which
  // then asks for every frame itself. So the frames the tracker asks for, and those asked
  // for from within them, come at most four times a second (its timer shows tenths).
  const frame = window.requestAnimationFrame.bind(window);
  let tracking = false;  // within a frame that the status tracker's code asked for
  window.requestAnimationFrame = (callback) => {
    if (!tracking && !((new Error()).stack || "").includes("/statustracker-")) return frame(callback);
    const run = (time) => { tracking = true; try { callback(time); } finally { tracking = false; } };
    return setTimeout(() => frame(run), 250);
  };
})();
</script>"""
"""First in the page's head, before Gradio's code (:mod:`ui.web.page_head`): an idle page drew 60
frames a second, a fifth of a core in headless Chromium (docs/benchmarks.md stop 39), and after
the timer was slowed, still 50 a second for the logo no one sees (stop 41)."""

CITATION_BRIDGE_JS = """
window.__aqOpen = (key) => trigger('open', {key: key});
if (!window.__aqBridge) {
  window.__aqBridge = true;
  document.addEventListener('click', (event) => {
    const el = event.target.closest('[data-aq-open]');
    if (!el) return;
    event.preventDefault();
    window.__aqOpen(el.getAttribute('data-aq-open'));
  });
}
"""
"""``js_on_load`` of an empty ``gr.HTML``: a click on any ``[data-aq-open]`` element (a
citation marker or a "read the article" button) fires its ``open`` event with the key."""

READER_JS = """
const scroller = (el) => {
  for (; el && el !== document.body; el = el.parentElement) {
    const style = getComputedStyle(el);
    if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight) return el;
  }
  return null;
};
const reveal = (tries) => {
  const target = element.querySelector('.aq-target');
  if (!target) return;
  if (target.offsetParent === null && tries > 0) { setTimeout(() => reveal(tries - 1), 80); return; }
  const box = scroller(target.parentElement);
  if (!box) { target.scrollIntoView({block: 'nearest'}); return; }
  // Only the panel scrolls, so the page (and the chat) stay where the reader left them.
  const offset = target.getBoundingClientRect().top - box.getBoundingClientRect().top;
  box.scrollTo({top: box.scrollTop + offset - box.clientHeight / 3, behavior: 'auto'});
};
const revealSoon = () => setTimeout(() => reveal(10), 30);
watch('value', revealSoon);
window.__aqRead = (html) => { props.value = html; revealSoon(); };  // watch() sees the server's changes only
"""
"""``js_on_load`` of the reading panel: bring the highlighted sentence into view. The chat
shows an answer's first citation here with ``window.__aqRead`` (``chat_page.CHAT_JS``)."""

SHOW_LATEST_QUESTION_JS = """
let seen = '', seenLog = null, timer = null;
const showLatest = () => {
  const log = element.querySelector('[role=log]');
  const rows = log ? log.querySelectorAll('.user-row') : [];
  const now = rows.length + ':' + (log ? log.querySelectorAll('.aq-answer').length : 0);
  if (now === seen && log === seenLog) return;  // a chat drawn anew starts at its top
  seen = now; seenLog = log;
  if (!rows.length) return;
  const offset = rows[rows.length - 1].getBoundingClientRect().top - log.getBoundingClientRect().top;
  log.scrollTo({top: log.scrollTop + offset - 16, behavior: 'auto'});
};
new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(showLatest, 60); })
  .observe(element, {childList: true, subtree: true});
"""
"""Also in the chat's ``js_on_load``: when a question is added to the chat or answered (not
at each draft of a composed answer), the chat shows the question at its top, and the answer
from its first line (answers with their citations are taller than the chat). It watches the
chat, whoever draws it (its own script, or a Gradio event for a composed answer)."""

CSS = """
.aq-header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; margin: 0 0 .25rem 0; }
.aq-header h1 { font-size: 1.6rem; font-weight: 600; margin: 0; letter-spacing: -0.01em; }
.aq-header p { margin: 0; color: var(--body-text-color-subdued); }

.aq-question {
  display: inline-block; white-space: pre-wrap; padding: .5rem .9rem; border-radius: 1rem 1rem .3rem 1rem;
  background: var(--color-accent-soft); border: 1px solid var(--border-color-accent-subdued, var(--border-color-primary));
  color: var(--body-text-color); font-weight: 500;
}
#aq-chat .aq-log {
  height: 640px; overflow-y: auto; padding: .75rem; box-sizing: border-box;
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg); background: var(--block-background-fill);
}
#aq-chat .aq-row { margin: 0 0 .9rem 0; }
#aq-chat .user-row { display: flex; justify-content: flex-end; }
.aq-placeholder { margin: 3rem auto 1.25rem !important; max-width: 34rem; text-align: center; color: var(--body-text-color-subdued); }
.aq-examples { display: flex; flex-wrap: wrap; gap: .5rem; justify-content: center; }
.aq-example {
  padding: .45rem .8rem; border-radius: var(--radius-lg); cursor: pointer; font-size: .92rem; font-weight: 400; text-align: left;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); color: var(--body-text-color);
}
.aq-example:hover, .aq-example:focus { border-color: var(--color-accent); }
.aq-answer { line-height: 1.55; }
.aq-answer .aq-text { margin: 0 0 .6rem 0; font-size: 1.02rem; }
.aq-answer .aq-icon { display: inline-block; min-width: 1.4em; font-weight: 700; color: var(--body-text-color-subdued); }
.aq-ref {
  display: inline-block; min-width: 1.35em; padding: 0 .3em; margin: 0 .1em; border-radius: .6em;
  font-size: .78em; font-weight: 700; line-height: 1.5; text-align: center; vertical-align: .15em;
  background: var(--color-accent-soft); color: var(--color-accent) !important; text-decoration: none !important;
  border: 1px solid var(--color-accent);
}
.aq-ref:hover, .aq-ref:focus { background: var(--color-accent); color: white !important; }
.aq-sources-title, .aq-related-title, .aq-report-title {
  margin: .4rem 0 .3rem 0 !important; font-size: .8rem; font-weight: 600; text-transform: uppercase;
  letter-spacing: .05em; color: var(--body-text-color-subdued);
}
.aq-cites { list-style: none; padding: 0 !important; margin: 0 !important; display: grid; gap: .55rem; }
.aq-cite {
  margin: 0 !important; padding: .6rem .75rem; border-radius: var(--radius-lg);
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary);
}
.aq-cite-head { display: flex; gap: .5rem; align-items: baseline; font-size: .86rem; margin-bottom: .3rem; }
.aq-num {
  flex: none; min-width: 1.5em; padding: 0 .35em; border-radius: .6em; text-align: center; font-weight: 700;
  background: var(--color-accent); color: white; font-size: .8rem;
}
.aq-meta { color: var(--body-text-color-subdued); }
.aq-meta .aq-title { color: var(--body-text-color); font-weight: 600; }
.aq-sep { opacity: .6; }
blockquote.aq-passage {
  margin: 0 0 .35rem 0 !important; padding: 0 0 0 .7rem !important; border-left: 3px solid var(--border-color-primary) !important;
  color: var(--body-text-color-subdued); font-size: .92rem; font-style: normal !important;
}
mark.aq-hl {
  background: #fde68a; color: #1f2937; padding: .05em .15em; border-radius: .2em;
  box-decoration-break: clone; -webkit-box-decoration-break: clone;
}
.dark mark.aq-hl { background: #a16207; color: #fefce8; }
mark.aq-soft { background: #fef3c7; color: inherit; padding: 0; }
.dark mark.aq-soft { background: #422006; }
.aq-open {
  font-size: .82rem; font-weight: 600; padding: .15rem .6rem; border-radius: var(--radius-md); cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--button-secondary-background-fill);
  color: var(--button-secondary-text-color);
}
.aq-open:hover, .aq-open:focus { border-color: var(--color-accent); color: var(--color-accent); }
.aq-abstained .aq-text { font-weight: 600; }
.aq-hint { margin: 0 0 .5rem 0 !important; color: var(--body-text-color-subdued); font-size: .9rem; }
.aq-error .aq-text { color: var(--error-text-color, #b91c1c); font-weight: 600; }
.aq-check { margin: .25rem 0 .5rem 0 !important; color: var(--body-text-color-subdued); font-size: .85rem; }
.aq-fallback { font-style: italic; }
.aq-draft .aq-text { opacity: .8; }
.aq-pending { opacity: .7; font-style: italic; }
.aq-removed { border-left: 3px solid var(--error-border-color, #f87171); padding-left: .6rem; margin: .25rem 0 .5rem 0; font-size: .9rem; }
.aq-removed-title { margin: 0 !important; font-weight: 600; }
.aq-removed ul { margin: .2rem 0 0 1rem !important; }
.aq-claim { color: var(--body-text-color-subdued); }
.aq-why { color: var(--error-text-color, #b91c1c); font-size: .85rem; }
.aq-detail { margin: 0 !important; font-size: .85rem; color: var(--body-text-color-subdued); }

.aq-article { padding: 0 .5rem 1rem .25rem; }
.aq-article-head {
  position: sticky; top: 0; z-index: 1; padding: .5rem 0 .4rem 0; margin-bottom: .6rem;
  background: var(--block-background-fill, var(--background-fill-primary)); border-bottom: 1px solid var(--border-color-primary);
}
.aq-article-head::before {  /* covers the panel's padding above the sticky title */
  content: ""; position: absolute; left: 0; right: 0; top: -2rem; height: 2rem; background: inherit;
}
.aq-article-title { font-size: 1.25rem !important; font-weight: 600 !important; margin: 0 0 .25rem 0 !important; line-height: 1.3; }
.aq-sources { margin-top: .6rem; font-size: .88rem; }
.aq-sources ul { margin: .2rem 0 0 1rem !important; padding: 0 !important; }
.aq-sources-head { font-weight: 600; margin: 0 !important; }
.aq-source-kind { color: var(--body-text-color-subdued); }
.aq-source-name { overflow-wrap: anywhere; }
.aq-source-when, .aq-refresh { color: var(--body-text-color-subdued); font-size: .85rem; }
.aq-source-error { color: var(--error-text-color, #b91c1c); font-size: .85rem; }
.aq-origin { margin: .2rem 0 .3rem !important; color: var(--body-text-color-subdued); font-size: .85rem; }
.aq-also { margin: 0 0 .3rem !important; color: var(--body-text-color-subdued); font-size: .85rem; }
.aq-article-meta { margin: 0 !important; color: var(--body-text-color-subdued); font-size: .88rem; }
.aq-article-body { line-height: 1.65; font-size: .97rem; }
.aq-article-body mark.aq-target { outline: 2px solid #f59e0b; outline-offset: 1px; }
.aq-notice { margin: .25rem 0 !important; color: var(--body-text-color-subdued); }
.aq-notice-error { color: var(--error-text-color, #b91c1c); font-weight: 600; }
.aq-empty { color: var(--body-text-color-subdued); padding: 1rem .25rem; }

dl.aq-info { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 !important; font-size: .92rem; }
.aq-info dt { color: var(--body-text-color-subdued); margin: 0 !important; font-weight: 400; }
.aq-info dd { margin: 0 !important; font-weight: 600; overflow-wrap: anywhere; }
.aq-problems { margin: 0 !important; padding-left: 1.2rem !important; font-size: .88rem; }
.aq-problems li { overflow-wrap: anywhere; }

#aq-bridge { display: none; }
footer { opacity: .8; }
"""
