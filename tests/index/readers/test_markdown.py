"""Markdown articles read as plain text: what each construct leaves in the indexed text."""

from __future__ import annotations

from pathlib import Path

from index.readers import read_sources
from index.sentences import split_sentences


def read(tmp_path: Path, markdown: str):  # type: ignore[no-untyped-def]
    (tmp_path / "article.md").write_text(markdown, encoding="utf-8")
    result = read_sources([tmp_path / "article.md"])
    assert not result.problems
    [article] = result.articles
    return article


def test_a_table_is_one_row_a_line_with_its_cells_as_text(tmp_path: Path):
    article = read(
        tmp_path,
        "# Les villes\n\nLes plus peuplées.\n\n"
        "| Ville | Habitants |\n|:---|---:|\n| Paris | 2,1 millions |\n| **Lyon** | [0,5](https://x.fr) million |\n",
    )
    assert article.text.split("\n\n") == [
        "Les plus peuplées.",
        "Ville | Habitants",
        "Paris | 2,1 millions",
        "Lyon | 0,5 million",
    ]


def test_a_reference_link_keeps_its_label_and_drops_its_definition(tmp_path: Path):
    article = read(
        tmp_path,
        "# Le vote\n\nLe [Parlement européen][pe] a voté, selon [l'agence][].\n\n"
        '[pe]: https://europarl.europa.eu "Site officiel"\n[l\'agence]: https://afp.com\n',
    )
    assert article.text == "Le Parlement européen a voté, selon l'agence."


def test_inline_html_keeps_its_text_without_tags_comments_or_scripts(tmp_path: Path):
    article = read(
        tmp_path,
        '# Le budget\n\nLe budget <span class="chiffre">augmente de 3 %</span><!-- vérifié -->'
        "<script>alert(1)</script> cette année.<br>Il sera voté jeudi.\n\n"
        "<div>\n<p>Un bloc <b>HTML</b>.</p><p>Puis un autre &amp; la fin.</p>\n<style>p {}</style>\n</div>\n",
    )
    assert article.text == (
        "Le budget augmente de 3 % cette année. Il sera voté jeudi.\n\nUn bloc HTML.\n\nPuis un autre & la fin."
    )


def test_headings_lists_emphasis_code_and_quotes_become_plain_paragraphs(tmp_path: Path):
    article = read(
        tmp_path,
        "Le titre\n========\n\nUn *premier* paragraphe, avec `du code`\net une suite.\n\n"
        "## Les points\n\n* un\n* deux\n  - deux bis\n\n3. trois\n4. quatre\n\n"
        "> Une **citation**.\n\n---\n\n![Une photo](photo.jpg) du départ.\n\n```\nsortie brute\n```\n",
    )
    assert article.title == "Le titre"
    assert article.text.split("\n\n") == [
        "Un premier paragraphe, avec du code et une suite.",
        "Les points",
        "- un\n- deux\n- deux bis",
        "3. trois\n4. quatre",
        "Une citation.",
        "Une photo du départ.",
        "sortie brute",
    ]


def test_sentences_of_a_markdown_article_point_into_its_plain_text(tmp_path: Path):
    article = read(
        tmp_path,
        "# Titre\n\nLa **première** phrase. La [seconde](https://x.fr) aussi.\n\n| a | b |\n|---|---|\n| c | d |\n",
    )
    sentences = split_sentences(article.text, lang="fr", article_id=article.id)
    assert [s.text for s in sentences] == ["La première phrase.", "La seconde aussi.", "a | b", "c | d"]
    assert all(article.text[s.start : s.end] == s.text for s in sentences)
