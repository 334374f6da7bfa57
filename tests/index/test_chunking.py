import itertools

import pytest

from index.chunking import ChunkSettings, SentenceChunker
from index.normalize import normalize_text
from index.sentences import split_sentences
from tests.paths import SEED


def seed_chunks(**settings):
    text = normalize_text(SEED.read_text(encoding="utf-8"))
    sentences = split_sentences(text, lang="fr", article_id="seed")
    return text, sentences, SentenceChunker(ChunkSettings(**settings)).chunk(text, sentences)


def test_chunks_are_runs_of_whole_sentences_with_exact_offsets():
    text, sentences, chunks = seed_chunks(chunk_size=400, overlap=0)
    assert len(chunks) > 3
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.start == sentences[chunk.first_sentence].start
        assert chunk.end == sentences[chunk.last_sentence].end
    # Without overlap, every sentence is in exactly one chunk, in order.
    covered = [i for c in chunks for i in range(c.first_sentence, c.last_sentence + 1)]
    assert covered == list(range(len(sentences)))


def test_chunks_stay_within_size_unless_one_sentence_is_longer():
    _, sentences, chunks = seed_chunks(chunk_size=400, overlap=0)
    longest = max(len(s.text) for s in sentences)
    assert all(len(c.text) <= max(400, longest) for c in chunks)


def test_overlap_repeats_the_last_sentences_of_the_previous_chunk():
    _, _, chunks = seed_chunks(chunk_size=400, overlap=2)
    for before, after in itertools.pairwise(chunks):
        assert after.first_sentence == before.last_sentence - 1


def test_settings_are_checked():
    with pytest.raises(ValueError, match="chunk_size"):
        ChunkSettings(chunk_size=10)
    with pytest.raises(ValueError, match="overlap"):
        ChunkSettings(overlap=-1)
