"""Articles with an author and pages: where a page starts, and the content hash of an article
without them unchanged."""

from __future__ import annotations

import pytest

import index


def test_a_page_is_the_last_one_starting_at_or_before_an_offset() -> None:
    article = index.Article("a", "T", "Un.\n\nDeux.\n\nTrois.", pages=[0, 5, 5, 12])
    assert article.pages == (0, 5, 5, 12)  # a tuple, whatever was given
    assert [article.page_at(o) for o in (0, 3, 5, 11, 12, 17)] == [1, 1, 3, 3, 4, 4]
    assert index.Article("b", "T", "Un.").page_at(0) is None
    for wrong in ([], [3, 5], [0, 5, 4]):
        with pytest.raises(ValueError, match="pages must start at 0 and never decrease"):
            index.Article("c", "T", "Un.", pages=wrong)


def test_an_article_without_author_or_pages_keeps_the_hash_format_5_stored() -> None:
    assert index.Article("a", "T", "x").content_hash == (
        "84932c496ce39da42cd36ca8d62c531768f7318c00a79925989cbf7f943025bc"
    )
    dated = index.Article(
        "a",
        "T",
        "x",
        date="2012-05-22",
        date_text="22 mai 2012",
        url="u",
        source="s",
        category="c",
        lang="fr",
    )
    assert dated.content_hash == "0eea138f4329986e3d34c921ab00c3ad4c93eadd042df7cd325eeeb86254dad7"
    hashes = {
        index.Article("a", "T", "x", author="A").content_hash,
        index.Article("a", "T", "x", pages=(0,)).content_hash,
        index.Article("a", "T", "x", author="A", pages=(0,)).content_hash,
    }
    assert len(hashes) == 3 and index.Article("a", "T", "x").content_hash not in hashes
