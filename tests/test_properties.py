"""Property-based tests (Hypothesis): any file is indexed or reported, any question is
answered, abstained on or refused with a message; nothing ever raises anything else."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import index
from index.readers import SUFFIXES
from qa import Answer, Assistant, Filters, QAError
from tests.conftest import write_corpus
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder

# File names as people and other programs make them: any characters a file name may hold.
names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=40
).filter(lambda n: n not in (".", "..") and len(n.encode("utf-8")) <= 200)
suffixes = st.sampled_from([*SUFFIXES, ".TXT", ".Md", ""])
texts = st.text(max_size=400)
contents = st.one_of(
    st.binary(max_size=3000),
    texts.map(lambda t: t.encode("utf-8")),
    texts.map(lambda t: t.encode("utf-16")),
    texts.map(lambda t: t.encode("cp1252", "replace")),
    st.lists(st.dictionaries(st.sampled_from(["id", "title", "text", "paragraphs", "date", "lang"]),
                             st.one_of(texts, st.integers(), st.none(), st.lists(texts, max_size=3)),
                             max_size=5), max_size=4)
    .map(lambda records: "\n".join(json.dumps(r) for r in records).encode("utf-8")),
    texts.map(lambda t: f"<html><body><h1>{t}</h1><p>{t}</p></body></html>".encode()),
)  # fmt: skip


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A fresh directory per example (Hypothesis runs many examples in one test call)."""
    path = Path(tempfile.mkdtemp(prefix="aq-prop-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(names, suffixes, contents), min_size=1, max_size=4))
@example(files=[("0", ".jsonl", b"\xfe\xff")])  # a byte-order mark alone: was neither read nor reported
@example(files=[(" ", ".txt", b"!")])  # a blank file name: its title fell back to a blank stem
def test_any_file_is_read_or_reported_never_raised(files, scratch):
    root = Path(tempfile.mkdtemp(dir=scratch))
    for name, suffix, content in files:
        (root / (name + suffix)).write_bytes(content)
    result = index.read_sources([root])
    listed = {str(p) for p in root.iterdir()}
    reported = {p.path for p in result.problems}
    read = {a.path for a in result.articles}
    for path in listed:
        suffix = Path(path).suffix.lower()
        if suffix in SUFFIXES and not Path(path).name.startswith("."):
            assert path in read or path in reported, path  # every article file: read or reported
    for article in result.articles:
        assert article.text.strip() and article.title.strip()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(names, st.sampled_from(SUFFIXES), contents), min_size=1, max_size=3))
def test_any_files_build_an_index_or_say_there_is_no_article(files, scratch):
    root = Path(tempfile.mkdtemp(dir=scratch))
    for name, suffix, content in files:
        (root / (name + suffix)).write_bytes(content)
    target = root.with_name(root.name + "-ix")
    try:
        report = index.build([root], target, embedder=FakeEmbedder())
    except index.NoArticlesError:
        assert not target.exists()  # a first build that found nothing leaves nothing
        return
    store = index.open_index(target)
    assert store.manifest.counts["articles"] == len(report.added) > 0
    for article in store.articles():
        assert all(article.text[s.start : s.end] == s.text for s in store.sentences(article))


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    root = tmp_path_factory.mktemp("prop-corpus")
    write_corpus(root / "articles")
    embedder = FakeEmbedder()
    index.build([root / "articles"], root / "ix", embedder=embedder)
    return Assistant.open(root / "ix", embedder=embedder, threshold=FAKE_THRESHOLD)


questions = st.one_of(
    st.text(max_size=300),
    st.text(st.characters(), max_size=50),  # surrogates, controls, zero-width marks…
    st.sampled_from(["Combien de kilos transporte la capsule ?", "Qui a gagné le Tour ?"]).flatmap(
        lambda q: st.text(st.sampled_from("\u200b\u00ad\ud800\x00\n\t «»’"), max_size=5).map(lambda noise: noise + q + noise)
    ),
)  # fmt: skip
histories = st.lists(st.one_of(texts, st.tuples(texts, texts)), max_size=3)


@settings(max_examples=300, deadline=None)
@given(question=questions, history=histories, top_k=st.integers(-2, 120))
def test_any_question_gets_an_answer_an_abstention_or_a_message(assistant, question, history, top_k):
    try:
        answer = assistant.ask(question, history=history, top_k=top_k)
    except QAError as exc:
        assert str(exc)  # a message that says what to do
        return
    assert isinstance(answer, Answer)
    assert answer.abstained == (not answer.citations)
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")  # shown and sent as is
    for citation in answer.citations:
        assert citation.text.strip()


@settings(max_examples=100, deadline=None)
@given(start=st.text(max_size=12), end=st.text(max_size=12))
def test_any_date_filter_is_used_or_refused_with_a_message(assistant, start, end):
    try:
        filters = Filters(date_from=start or None, date_to=end or None)
    except QAError as exc:
        assert "date" in str(exc)
        return
    answer = assistant.ask("Qui a gagné le Tour de France ?", filters=filters)
    assert isinstance(answer, Answer)
