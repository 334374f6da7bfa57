"""The HTML of answers, citations, articles and the index panel: exact, escaped, readable."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from index import Article
from qa import Answer, Citation, Passage
from ui.web import index_html, render

EVIL_TITLE = '<script>window.__xss=1</script> Titre "piégé" & <b>gras</b>'
EVIL_TEXT = (
    "Premier paragraphe tranquille.\n\n"
    'La phrase <img src=x onerror="window.__xss=1"> est citée ici. ${alert(1)} {{constructor}}\n\n'
    "<script>window.__xss=1</script> Fin de l'article."
)


def cited(
    text: str, sentence: str, *, title: str = "Un titre", number: int = 1, date: str | None = "2012-07-04"
) -> Citation:
    """A citation of ``sentence`` in an article whose single passage is ``text``."""
    start = text.index(sentence)
    passage = Passage(
        chunk_id=7, text=text, article_id="a1", title=title, start=0, end=len(text),
        first_sentence=0, last_sentence=3, score=0.9, date=date, category="monde",
    )  # fmt: skip
    return Citation(number, sentence, "a1", title, start, start + len(sentence), 0.8, 1, passage)


def answer_of(*citations: Citation) -> Answer:
    text = " ".join(f"{c.text} [{c.number}]" for c in citations)
    return Answer("Une question ?", text, citations, tuple(c.passage for c in citations), False, "fr")


def visible_text(fragment: str) -> str:
    """What a reader sees: tags dropped, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", fragment.replace("<br>", "\n")))


def test_cited_sentence_is_highlighted_inside_its_passage_with_title_date_and_category():
    text = "Avant la phrase. L’Ukraine a immédiatement rompu toutes les relations. Après la phrase."
    c = cited(text, "L’Ukraine a immédiatement rompu toutes les relations.")
    out = render.answer_html(answer_of(c), turn=0, lang="fr")
    marked = re.findall(r'<mark class="aq-hl">(.*?)</mark>', out)
    assert marked == ["L’Ukraine a immédiatement rompu toutes les relations."]
    assert "Avant la phrase. <mark" in out and "</mark> Après la phrase." in out
    assert "Un titre" in out and "4 juillet 2012" in out and "monde" in out
    assert 'data-aq-open="0.1"' in out  # the marker and the button open citation 1 of turn 0


def test_a_citation_with_a_page_shows_it_in_its_meta_line_and_one_without_shows_none():
    text = "Avant la phrase. Les dépenses ont baissé. Après la phrase."
    c = cited(text, "Les dépenses ont baissé.")
    for lang in ("fr", "en"):
        out = render.answer_html(answer_of(replace(c, page=3)), turn=0, lang=lang)
        head = re.search(r'<div class="aq-cite-head">(.*?)</div>', out)
        assert head is not None and '<span class="aq-page">p. 3</span>' in head.group(1)
        assert "p. 3" in visible_text(head.group(1))
    assert "aq-page" not in render.answer_html(answer_of(c), turn=0, lang="fr")


def test_answer_markers_link_to_their_citations_only():
    text = "Une phrase [3] avec un crochet. Une autre phrase citée."
    c1 = cited(text, "Une phrase [3] avec un crochet.")
    c2 = cited(text, "Une autre phrase citée.", number=2)
    out = render.answer_html(answer_of(c1, c2), turn=4, lang="fr")
    answer_line = out.split('<p class="aq-sources-title">')[0]
    assert answer_line.count('class="aq-ref"') == 2
    assert 'data-aq-open="4.1"' in answer_line and 'data-aq-open="4.2"' in answer_line
    assert "[3]" in answer_line  # not a citation number: left as text


def test_untrusted_title_and_text_are_escaped_everywhere():
    sentence = 'La phrase <img src=x onerror="window.__xss=1"> est citée ici.'
    c = cited(EVIL_TEXT, sentence, title=EVIL_TITLE)
    article = Article("a1", EVIL_TITLE, EVIL_TEXT, date="2012-07-04", url="javascript:alert(1)")
    outputs = [
        render.answer_html(answer_of(c), 0, "fr"),
        render.article_html(article, c.start, c.end, "fr"),
        render.answer_html(Answer("q", "Rien.", (), (c.passage,), True, "fr"), 0, "fr"),
        render.error_html(EVIL_TITLE, "fr", detail=EVIL_TEXT),
    ]
    for out in outputs:
        assert "<script" not in out and "<img" not in out and "<b>" not in out
        assert 'onerror="' not in out and "javascript:" not in out
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in out or "&lt;img src=x onerror=" in out
    assert visible_text(outputs[1]).count("<script>window.__xss=1</script>") == 2  # title and text, literally


def test_article_panel_highlights_the_exact_span_as_the_scroll_target():
    text = "Un.\n\nLa phrase visée est là. Et la suite."
    article = Article(
        "a1",
        "Titre",
        text,
        date="2012-06-01",
        category="sport",
        source="Wikinews",
        url="https://fr.wikinews.org/x?a=1&b=2",
    )
    start = text.index("La phrase")
    end = start + len("La phrase visée est là.")
    out = render.article_html(article, start, end, "fr")
    assert re.findall(r'<mark class="aq-hl aq-target"[^>]*>(.*?)</mark>', out) == ["La phrase visée est là."]
    assert "1er juin 2012" in out and "sport" in out and "Wikinews" in out
    assert (
        'href="https://fr.wikinews.org/x?a=1&amp;b=2"' in out and 'rel="noopener noreferrer nofollow"' in out
    )
    assert visible_text(out).endswith(text)  # the whole article is there, unchanged


def test_article_panel_without_a_valid_span_shows_the_text_unmarked():
    article = Article("a1", "Titre", "Un texte.")
    assert "<mark" not in render.article_html(article, 5, 99, "en")
    assert "<mark" not in render.article_html(article, None, None, "en")


def test_offsets_that_disagree_with_the_passage_show_the_sentence_alone():
    c = cited("Une phrase. Une autre.", "Une autre.")
    broken = Citation(1, "Une autre.", "a1", "T", 0, 10, 0.5, 1, c.passage)  # offsets point elsewhere
    out = render.citation_html(broken, "0.1", "fr")
    assert re.findall(r'<mark class="aq-hl">(.*?)</mark>', out) == ["Une autre."]
    assert "Une phrase." not in out


def test_long_passages_are_cut_at_word_boundaries_around_the_sentence():
    text = "mot " * 200 + "La phrase citée. " + "fin " * 200
    lead, before, span, after, tail = render.excerpt(text, text.index("La"), text.index("La") + 16)
    assert (lead, tail) == ("…", "…") and span == "La phrase citée."
    assert before.startswith("mot") and after.strip().endswith("fin")
    assert len(before) <= render.CONTEXT_CHARS and len(after) <= render.CONTEXT_CHARS


def test_abstention_says_so_and_lists_the_passages_read():
    c = cited("Un passage proche. Rien de plus.", "Un passage proche.")
    answer = Answer(
        "Quel est le prix du pain ?",
        "Je n'ai pas trouvé la réponse dans les articles.",
        (),
        (c.passage,),
        True,
        "fr",
    )
    out = render.answer_html(answer, 2, "fr")
    assert "aq-abstained" in out and "Je n&#x27;ai pas trouvé la réponse" in out
    assert "Passages les plus proches" in out and 'data-aq-open="2.p1"' in out
    assert "<mark" not in out


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [("2012-07-04", "fr", "4 juillet 2012"), ("2012-07-01T10:00:00", "fr", "1er juillet 2012"),
     ("2012-07-04", "en", "July 4, 2012"), (None, "fr", "sans date"), ("juillet 2012", "fr", "juillet 2012")],
)  # fmt: skip
def test_dates_read_naturally(value, lang, shown):
    assert render.format_date(value, lang) == shown


@pytest.mark.parametrize(
    ("date", "written", "shown"),
    [("2012-05-22", "22 mai 2012", "22 mai 2012"), ("2012-05-22T10:00:00+02:00", "2012-05-22T10:00+02:00", "22 mai 2012"),
     ("2012-05-22T10:00:00+00:00", "Tue, 22 May 2012 10:00:00 GMT", "Tue, 22 May 2012 10:00:00 GMT"),
     (None, "le jour de Pâques", "le jour de Pâques")],
)  # fmt: skip
def test_articles_and_passages_show_their_date_as_the_source_wrote_it(date, written, shown):
    text = "Avant. La phrase citée. Après."
    c = cited(text, "La phrase citée.", date=date)
    c = Citation(c.number, c.text, c.article_id, c.title, c.start, c.end, c.score, c.sentence,
                 replace(c.passage, date_text=written))  # fmt: skip
    article = Article("a1", "Titre", text, date=date, date_text=written)
    for out in (
        render.answer_html(answer_of(c), 0, "fr"),
        render.answer_html(Answer("q", "Rien.", (), (c.passage,), True, "fr"), 0, "fr"),
        render.article_html(article, c.start, c.end, "fr"),
    ):
        assert shown in visible_text(out)


def test_index_panel_summarises_the_index():
    info = {
        "articles": 1234, "sentences": 5, "chunks": 6, "model": "m<x>", "dimension": 384,
        "dates": ["2012-05-22", "2012-11-12"], "languages": {"fr": 101}, "size_bytes": 2_900_000,
        "last_build": {"kind": "update", "at": "2024-01-02T03:04:05+00:00", "added": 2, "changed": 0, "removed": 1},
    }  # fmt: skip
    out = index_html.index_info_html(info, "fr")
    assert "1 234" in out and "m&lt;x&gt; (384)" in out and "22 mai 2012 – 12 novembre 2012" in out
    assert (
        "2.9 MB" in out and "ajout le 2024-01-02 03:04:05 UTC : 2 ajouté(s), 0 modifié(s), 1 retiré(s)" in out
    )


def test_report_lists_problems_escaped():
    out = render.report_html(
        "en", summary="Index updated.", problems=["<b>x.txt</b>: empty file"], missing=["/gone"]
    )
    assert "&lt;b&gt;x.txt&lt;/b&gt;: empty file" in out and "/gone" in out and "<b>" not in out


def test_a_cited_sentence_shows_its_site_and_a_safe_link_to_the_original():
    text = "Avant. La capsule transporte 521 kg de matériel. Après."
    c = cited(text, "La capsule transporte 521 kg de matériel.")
    site = 'Le <b>Fil</b> "Test"'
    url = 'https://news.example/a?x=1&y="2"'
    c = replace(c, passage=replace(c.passage, source=site, url=url))
    out = render.answer_html(answer_of(c), turn=0, lang="fr")
    [origin] = re.findall(r'<p class="aq-origin">(.*?)</p>', out)
    assert "Le &lt;b&gt;Fil&lt;/b&gt; &quot;Test&quot;" in origin
    assert 'href="https://news.example/a?x=1&amp;y=&quot;2&quot;"' in origin
    assert 'rel="noopener noreferrer nofollow"' in origin and "article original" in origin
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,x"):
        out = render.answer_html(
            answer_of(replace(c, passage=replace(c.passage, url=bad))), turn=0, lang="en"
        )
        assert "href=" not in re.findall(r'<p class="aq-origin">(.*?)</p>', out)[0] and bad not in out
    plain = render.answer_html(
        answer_of(cited(text, "La capsule transporte 521 kg de matériel.")), turn=0, lang="fr"
    )
    assert "aq-origin" not in plain  # a file's article: no line
