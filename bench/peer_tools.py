"""The tools ``bench.peers`` compares article-qa with (LangChain, txtai, bm25s), and the corpus
as every tool sees it: the data set's articles, article-qa's sentences and chunks, and the
spans a tool returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

STEMMERS = {"fr": "french", "en": "english"}


@dataclass(frozen=True)
class Span:
    """A stretch of an article a tool returned: a chunk or a sentence."""

    article_id: str
    start: int
    end: int
    text: str = ""


def hit(gold: Any, span: Span) -> bool:
    from qa.eval import holds_answer

    return holds_answer(gold, span.article_id, span.start, span.end)


# -- the corpus as every tool sees it ---------------------------------------------------------


class Corpus:
    """A data set's articles, their sentences and article-qa's chunks (no model involved)."""

    def __init__(self, articles: list[dict[str, Any]]) -> None:
        from index.analysis import detect_language
        from index.chunking import SentenceChunker
        from index.sentences import split_sentences

        self.articles = {a["id"]: a for a in articles}
        self.lang = detect_language(" ".join(a["text"][:300] for a in articles[:20]))
        chunker = SentenceChunker()
        self.sentences: dict[str, list[Span]] = {}
        self.chunks: list[Span] = []
        for a in articles:
            sentences = split_sentences(a["text"], lang=self.lang, article_id=a["id"], max_chars=1000)
            self.sentences[a["id"]] = [Span(a["id"], s.start, s.end, s.text) for s in sentences]
            for c in chunker.chunk(a["text"], sentences):
                self.chunks.append(Span(a["id"], c.start, c.end, c.text))

    def sentences_in(self, span: Span) -> list[Span]:
        """The sentences overlapping ``span``, cut to it (a tool can only cite what it holds)."""
        text = self.articles[span.article_id]["text"]
        out = []
        for s in self.sentences[span.article_id]:
            start, end = max(s.start, span.start), min(s.end, span.end)
            if end - start > 1:
                out.append(Span(span.article_id, start, end, text[start:end]))
        return out


class SentencePicker:
    """The sentence of a chunk most similar to the question, by the model's cosine."""

    def __init__(self, model: SharedModel) -> None:
        self.model = model
        self._cache: dict[str, Any] = {}

    def encode(self, texts: Sequence[str]) -> Any:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self.model.documents(missing), strict=True))
        return [self._cache[t] for t in texts]

    def best(self, question: str, sentences: Sequence[Span]) -> Span | None:
        if not sentences:
            return None
        q = self.model.query(question)
        scores = [float(q @ v) for v in self.encode([s.text for s in sentences])]
        return sentences[max(range(len(scores)), key=scores.__getitem__)]


class SharedModel:
    """The embedding model every tool of a run uses: article-qa's embedder for ``spec`` (the
    shipped default unless named), which adds a model's role prefixes (e5's ``query: `` and
    ``passage: ``) as article-qa does. Unit vectors; a question's vector is kept once made."""

    def __init__(self, spec: str | None) -> None:
        from index.embedders import load_embedder

        self.embedder = load_embedder(spec)
        self.name = self.embedder.name
        self._queries: dict[str, Any] = {}

    def documents(self, texts: Sequence[str]) -> Any:
        return self.embedder.encode_documents(list(texts))

    def query(self, text: str) -> Any:
        if text not in self._queries:
            self._queries[text] = self.embedder.encode_queries([text])[0]
        return self._queries[text]


# -- the tools -----------------------------------------------------------------------------------


class Peer:
    """A tool under test: ``build`` indexes the corpus, ``search`` returns its top chunks."""

    name = ""

    def __init__(self, corpus: Corpus, work: Path, model: SharedModel) -> None:
        self.corpus = corpus
        self.work = work
        self.shared = model

    def build(self) -> None:
        raise NotImplementedError

    def search(self, question: str, k: int) -> list[Span]:
        raise NotImplementedError

    def model(self) -> SharedModel:
        return self.shared


class LangChain(Peer):
    name = "langchain"

    def build(self) -> None:
        from langchain_community.vectorstores import FAISS
        from langchain_core.embeddings import Embeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        model = self.shared

        class ModelEmbeddings(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return model.documents(texts).tolist()  # type: ignore[no-any-return]

            def embed_query(self, text: str) -> list[float]:
                return model.query(text).tolist()  # type: ignore[no-any-return]

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        docs = splitter.create_documents(
            [a["text"] for a in self.corpus.articles.values()],
            metadatas=[{"article_id": a["id"]} for a in self.corpus.articles.values()],
        )
        self.chunk_count = len(docs)
        self._store = FAISS.from_documents(docs, ModelEmbeddings())

    def search(self, question: str, k: int) -> list[Span]:
        docs = self._store.similarity_search(question, k=k)
        return [
            Span(
                d.metadata["article_id"],
                d.metadata["start_index"],
                d.metadata["start_index"] + len(d.page_content),
                d.page_content,
            )
            for d in docs
        ]


class Txtai(Peer):
    name = "txtai"

    def build(self) -> None:
        from txtai import Embeddings

        # txtai's external vectors: the shared model through a function. txtai does not tell it
        # whether it encodes the index or a question, so the role is set around each search.
        self._role = "passage"
        shared = self.shared

        def transform(texts: list[str]) -> Any:
            if self._role == "query":
                return np.stack([shared.query(t) for t in texts])
            return shared.documents(texts)

        self._embeddings = Embeddings(method="external", transform=transform, hybrid=True, content=True)
        self._embeddings.index((str(i), c.text, None) for i, c in enumerate(self.corpus.chunks))
        self.chunk_count = len(self.corpus.chunks)

    def search(self, question: str, k: int) -> list[Span]:
        self._role = "query"
        try:
            found = self._embeddings.search(question, limit=k)
        finally:
            self._role = "passage"
        return [self.corpus.chunks[int(r["id"])] for r in found]


class Bm25s(Peer):
    name = "bm25s"

    def build(self) -> None:
        import bm25s
        import Stemmer

        self._stemmer = Stemmer.Stemmer(STEMMERS.get(self.corpus.lang, "porter"))
        self._stop = self.corpus.lang if self.corpus.lang in STEMMERS else None
        tokens = bm25s.tokenize(
            [c.text for c in self.corpus.chunks],
            stopwords=self._stop,
            stemmer=self._stemmer,
            show_progress=False,
        )
        self._retriever = bm25s.BM25()
        self._retriever.index(tokens, show_progress=False)
        self.chunk_count = len(self.corpus.chunks)

    def search(self, question: str, k: int) -> list[Span]:
        import bm25s

        tokens = bm25s.tokenize([question], stopwords=self._stop, stemmer=self._stemmer, show_progress=False)
        if not tokens.ids[0]:
            return []
        k = min(k, len(self.corpus.chunks))
        found, _ = self._retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [self.corpus.chunks[int(i)] for i in found[0]]


PEERS: dict[str, Callable[[Corpus, Path, SharedModel], Peer]] = {
    "langchain": LangChain,
    "txtai": Txtai,
    "bm25s": Bm25s,
}
