import json
from pathlib import Path

from index.readers import read_sources
from tests.paths import SEED


def by_id(result):
    return {a.id: a for a in result.articles}


def test_seed_shape_title_source_plain_repeat_and_category(tmp_path: Path):
    article = read_sources([SEED]).articles[0]
    assert article.title == "Dans leur isolement, la Russie et la Corée du Nord se rapprochent"
    assert article.source == "À PRÉSENT"
    assert article.category == "nn-general"
    assert article.lang is None  # not given: detected when indexed
    # The plainer repeat of the title and the tag line are not part of the body.
    assert article.text.startswith("La Corée du Nord et la Russie ont plus en commun")
    assert article.text.endswith("John Kirby.")
    assert "Coree" not in article.text


def test_every_format_of_the_corpus_is_read(corpus: Path):
    result = read_sources([corpus])
    assert not result.problems
    articles = by_id(result)
    assert set(articles) == {"espace.txt", "sport.md", "nouvelles/economie.html", "w1", "w2"}
    assert articles["espace.txt"].category == "nn-science"
    assert articles["espace.txt"].source == "WIKINEWS"
    assert articles["sport.md"].title == "Le Tour de France s'achève à Paris"
    assert "deux étapes" in articles["sport.md"].text and "**" not in articles["sport.md"].text
    html = articles["nouvelles/economie.html"]
    assert html.title == "La Bourse de Paris recule"
    assert "CAC 40 a perdu 2,5 %" in html.text
    assert "Mentions légales" not in html.text and "Accueil" not in html.text
    assert (
        articles["w1"].text
        == "Les Grecs ont voté dimanche.\n\nLa Nouvelle Démocratie arrive en tête avec 29,7 % des voix."
    )
    assert (articles["w1"].date, articles["w1"].category, articles["w1"].lang) == (
        "2012-06-17",
        "politique",
        None,  # no "lang" in the record: detected at indexing (test_builder checks it)
    )
    assert articles["w2"].lang == "en" and articles["sport.md"].lang is None


def test_plain_text_without_the_news_shape_still_works(tmp_path: Path):
    (tmp_path / "note.txt").write_text("Une seule ligne de texte sans titre.", encoding="utf-8")
    (tmp_path / "deux.txt").write_text("Un titre\n\nLe corps du texte.", encoding="utf-8")
    articles = by_id(read_sources([tmp_path]))
    assert articles["note.txt"].title == "note"
    assert articles["note.txt"].text == "Une seule ligne de texte sans titre."
    assert (articles["deux.txt"].title, articles["deux.txt"].text) == ("Un titre", "Le corps du texte.")


def test_ids_are_stable_across_reads_and_hash_tracks_content(corpus: Path):
    first = by_id(read_sources([corpus]))
    second = by_id(read_sources([corpus]))
    assert {k: a.content_hash for k, a in first.items()} == {k: a.content_hash for k, a in second.items()}
    (corpus / "sport.md").write_text("# Le Tour\n\nUn autre texte.", encoding="utf-8")
    third = by_id(read_sources([corpus]))
    assert third["sport.md"].content_hash != first["sport.md"].content_hash
    assert third["w1"].content_hash == first["w1"].content_hash


def test_squad_shaped_json_is_read_as_articles(tmp_path: Path):
    data = {"data": [{"title": "Paris", "paragraphs": [{"context": "Paris est la capitale.", "qas": []}]}]}
    (tmp_path / "set.json").write_text(json.dumps(data), encoding="utf-8")
    [article] = read_sources([tmp_path]).articles
    assert (article.title, article.text, article.id) == ("Paris", "Paris est la capitale.", "set.json#paris")


# -- bad input: each gives a clear per-file message and the rest is read ----------------------


def test_missing_path_is_reported_and_other_sources_read(corpus: Path, tmp_path: Path):
    result = read_sources([tmp_path / "nope", corpus])
    assert len(result.articles) == 5
    [problem] = result.problems
    assert "nope" in problem.path and "no such file or directory" in problem.message


def test_empty_directory_is_reported(tmp_path: Path):
    (tmp_path / "vide").mkdir()
    result = read_sources([tmp_path / "vide"])
    assert not result.articles
    assert "no article files" in result.problems[0].message


def test_empty_binary_and_oversized_files_are_skipped_with_reasons(corpus: Path):
    (corpus / "vide.txt").write_bytes(b"  \n")
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10)
    with (corpus / "enorme.txt").open("wb") as f:
        f.write(b"Titre\n\n" + b"mot " * (50_000_000 // 4))
    result = read_sources([corpus], max_file_mb=20)
    assert len(result.articles) == 5
    messages = {Path(p.path).name: p.message for p in result.problems}
    assert "empty file" in messages["vide.txt"]
    assert "binary file" in messages["image.txt"]
    assert "50.0 MB" in messages["enorme.txt"] and "--max-file-mb" in messages["enorme.txt"]


def test_latin1_file_is_decoded(tmp_path: Path):
    (tmp_path / "latin.txt").write_bytes("Été à Noël\n\nLa fête a coûté 9,40 €.".encode("cp1252"))
    [article] = read_sources([tmp_path]).articles
    assert article.title == "Été à Noël"
    assert article.text == "La fête a coûté 9,40 €."


def test_malformed_json_line_reported_with_line_number_others_indexed(tmp_path: Path):
    lines = [
        json.dumps({"id": "a", "title": "Un", "text": "Premier texte."}),
        '{"id": "b", "title": "Deux", "text": ',
        json.dumps({"id": "c", "title": "Trois"}),
        json.dumps({"id": "d", "title": "Quatre", "text": "Quatrième texte."}),
    ]
    (tmp_path / "fil.jsonl").write_text("\n".join(lines), encoding="utf-8")
    result = read_sources([tmp_path])
    assert [a.id for a in result.articles] == ["a", "d"]
    problems = {p.line: p.message for p in result.problems}
    assert "malformed JSON" in problems[2]
    assert "without text" in problems[3]


def test_duplicate_ids_keep_the_first_and_report_the_second(tmp_path: Path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "x", "title": "A", "text": "Texte A."}), "utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "x", "title": "B", "text": "Texte B."}), "utf-8")
    result = read_sources([tmp_path])
    assert [a.title for a in result.articles] == ["A"]
    assert "duplicate article id 'x'" in result.problems[0].message


def _page(body: str, head: str = "") -> str:
    return (
        f"<html><head><title>Le phare</title>{head}</head><body><article><h1>Le phare</h1>"
        f"<p>{body} Le phare de Cordouan, au large de la Gironde, se visite de nouveau depuis le "
        "printemps, après de longs travaux menés par l'État et la région.</p></article></body></html>"
    )


def test_an_html_page_is_dated_by_its_markup_or_a_day_in_its_text_never_by_a_bare_year(tmp_path: Path):
    pages = {
        "annee.html": _page("Il est inscrit au patrimoine mondial depuis 2021."),  # a year, not a day
        "copyright.html": _page("Le phare rouvre. © 2019 Le Journal"),
        "jour.html": _page("Le 14 juillet 2020, le phare a rouvert."),
        "meta.html": _page(
            "Il est inscrit depuis 2021.",
            '<meta property="article:published_time" content="2023-05-04T10:00:00Z">',
        ),
        "nouvel-an.html": _page(  # a January 1st that the markup gives is a day
            "Le phare rouvre.", '<meta property="article:published_time" content="2023-01-01T09:00:00Z">'
        ),
    }
    for name, html in pages.items():
        (tmp_path / name).write_text(html, encoding="utf-8")
    articles = by_id(read_sources([tmp_path]))
    assert {name: articles[name].date for name in pages} == {
        "annee.html": None,
        "copyright.html": None,
        "jour.html": "2020-07-14",
        "meta.html": "2023-05-04",
        "nouvel-an.html": "2023-01-01",
    }
