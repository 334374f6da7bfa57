"""The chunk vectors' index type follows the corpus size: exact, then an inverted file."""

import faiss
import numpy as np
import pytest

import index
from index.embedded import vectors as vector_index
from qa import Assistant
from tests.paths import SAMPLE_DIR


def unit_rows(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def filled(n: int, d: int = 16) -> tuple[object, np.ndarray, np.ndarray]:
    flat = vector_index.empty(d)
    ids = np.arange(1000, 1000 + 3 * n, 3, dtype=np.int64)  # ids are not positions
    data = unit_rows(n, d)
    flat.add_with_ids(data, ids)
    return flat, ids, data


def test_a_small_index_stays_exact(monkeypatch):
    monkeypatch.setattr(vector_index, "EXACT_LIMIT", 5000)
    flat, _, _ = filled(4000)
    assert vector_index.sized(flat) is flat
    assert vector_index.kind(flat) == "flat"


def test_past_the_limit_the_chunks_move_to_an_inverted_file_that_keeps_ids_and_vectors(monkeypatch):
    monkeypatch.setattr(vector_index, "EXACT_LIMIT", 1000)
    flat, ids, data = filled(5000)
    ivf = vector_index.sized(flat)
    assert vector_index.kind(ivf) == f"ivf{vector_index.nlist_for(5000)}"
    assert ivf.ntotal == 5000 and ivf.nprobe >= 1
    got_ids, got = vector_index.all_vectors(ivf)
    order = np.argsort(got_ids)
    assert np.array_equal(got_ids[order], ids) and np.allclose(got[order], data)
    assert np.allclose(ivf.reconstruct(int(ids[17])), data[17])

    # Visiting every list, the inverted file finds what exact search finds.
    ivf.nprobe = ivf.nlist
    query = unit_rows(1, seed=5)[0]
    exact_scores, exact_ids = vector_index.search(flat, query, 10, None)
    scores, found = vector_index.search(ivf, query, 10, None)
    assert list(found[0]) == list(exact_ids[0]) and np.allclose(scores, exact_scores, atol=1e-5)

    # Updates work as on the flat index: removal by id, addition with ids.
    ivf.remove_ids(ids[:10])
    ivf.add_with_ids(unit_rows(2, seed=9), np.array([7, 8], dtype=np.int64))
    assert ivf.ntotal == 4992 and np.allclose(ivf.reconstruct(7), unit_rows(2, seed=9)[0])


def test_a_filtered_search_on_an_inverted_file_sees_every_allowed_chunk(monkeypatch):
    monkeypatch.setattr(vector_index, "EXACT_LIMIT", 1000)
    flat, ids, data = filled(5000)
    ivf = vector_index.sized(flat)
    ivf.nprobe = 1  # an unfiltered search would visit one list only
    allowed = ids[::250]  # 20 chunks scattered over the lists
    query = unit_rows(1, seed=3)[0]
    _, found = vector_index.search(ivf, query, 30, allowed)
    expected = allowed[np.argsort(-(data[::250] @ query))]
    assert list(found[0][:20]) == list(expected) and list(found[0][20:]) == [-1] * 10


def test_an_index_is_trained_again_when_it_has_grown_well_past_its_lists(monkeypatch):
    monkeypatch.setattr(vector_index, "EXACT_LIMIT", 100)
    flat, _, _ = filled(200)
    small = vector_index.sized(flat)
    ids = np.arange(10**6, 10**6 + 20000, dtype=np.int64)
    small.add_with_ids(unit_rows(20000, seed=2), ids)
    assert vector_index.nlist_for(small.ntotal) >= vector_index.RETRAIN_GROWTH * small.nlist
    grown = vector_index.sized(small)
    assert grown.nlist == vector_index.nlist_for(20200) and grown.ntotal == 20200


def test_an_index_past_the_limit_is_built_updated_and_answered_from(tmp_path, monkeypatch, fake_embedder):
    monkeypatch.setattr(vector_index, "EXACT_LIMIT", 50)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "news.jsonl").write_bytes((SAMPLE_DIR / "wikinews-fr-100.jsonl").read_bytes())
    report = index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    store = index.open_index(tmp_path / "ix")
    assert report.counts["chunks"] > 50
    assert store.manifest.vector_index.startswith("ivf") and store.vectors.ntotal == report.counts["chunks"]
    ids, _ = vector_index.all_vectors(store.vectors)
    assert set(ids) == {r[0] for r in store.db.execute("SELECT id FROM chunks")}

    assistant = Assistant.open(tmp_path / "ix", embedder=fake_embedder, threshold=0.0)
    answer = assistant.ask("Combien de kilos de matériel la capsule Dragon transporte-t-elle pour l'ISS ?")
    assert "Space X Dragon" in answer.citations[0].title  # found through the inverted file

    lines = (corpus / "news.jsonl").read_text(encoding="utf-8").splitlines()
    (corpus / "news.jsonl").write_text("\n".join(lines[10:]) + "\n", encoding="utf-8")
    report = index.update([corpus], tmp_path / "ix", embedder=fake_embedder)
    assert len(report.removed) == 10
    store = index.open_index(tmp_path / "ix")
    ids, _ = vector_index.all_vectors(store.vectors)
    assert store.manifest.vector_index.startswith("ivf")
    assert set(ids) == {r[0] for r in store.db.execute("SELECT id FROM chunks")}


@pytest.mark.parametrize("count", [1, 39, 1000, 10**6])
def test_list_counts_grow_with_the_square_root_and_keep_enough_vectors_per_list(count):
    nlist = vector_index.nlist_for(count)
    assert nlist >= 1 and (nlist == 1 or count // nlist >= 39)
    assert nlist & (nlist - 1) == 0  # a power of two


def mapped_files() -> set[str]:
    with open("/proc/self/maps", encoding="utf-8") as maps:
        return {line.split(maxsplit=5)[-1].strip() for line in maps if "/" in line}


def test_vectors_are_memory_mapped_and_read_back_as_written(tmp_path, fake_embedder):
    target = tmp_path / "ix"
    index.build([SAMPLE_DIR], target, embedder=fake_embedder)
    store = index.open_index(target)
    segment = store.segments[0]
    sentences, chunks = segment.sentence_vectors, segment.vectors
    files = mapped_files()
    assert str((segment.path / "sentences.faiss").resolve()) in files  # mapped, not read into memory
    assert str((segment.path / "vectors.faiss").resolve()) in files
    ids = np.asarray([r[0] for r in segment.db.execute("SELECT id FROM sentences LIMIT 5")], dtype=np.int64)
    copy = faiss.read_index(str(segment.path / "sentences.faiss"))  # read whole
    assert np.array_equal(sentences.reconstruct_batch(ids), copy.reconstruct_batch(ids))
    assert chunks.ntotal > 0
    store.close()


def test_a_question_s_dense_search_runs_faiss_on_its_own_thread_alone(sample_index, monkeypatch):
    """A question's search is one vector: a second OpenMP thread gains it nothing, and only spins
    after it, on a core that other questions need. The thread's own setting is left as it was."""
    seen = []
    real_search = vector_index.search

    def search(*args, **kwargs):
        seen.append(faiss.omp_get_max_threads())
        return real_search(*args, **kwargs)

    monkeypatch.setattr(vector_index, "search", search)
    store = index.open_index(sample_index)
    try:
        faiss.omp_set_num_threads(2)
        query = np.ones(store.manifest.dimension, dtype=np.float32)
        found = store.dense_search(query / np.linalg.norm(query), 3)
    finally:
        store.close()
    assert len(found) == 3 and seen and set(seen) == {1}
    assert faiss.omp_get_max_threads() == 2
