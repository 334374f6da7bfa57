"""``--reranker`` on the commands that answer (issue 26): ``ask --json`` reports the cross-encoder's
cost and nothing else changes; ``$ARTICLE_QA_RERANKER`` stands for the option; a re-ranker that
cannot be loaded is one line and exit status 2, never a traceback; ``serve`` loads it before it
listens and keeps it when the index changes; ``eval`` passes it on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import index
import qa
from tests.conftest import write_corpus
from tests.fakes import FAKE_THRESHOLD, FakeEmbedder
from tests.paths import ROOT
from ui.cli import main
from ui.web import server

QUESTION = "Combien de coureurs sont arrivés à Paris ?"
EXE = Path(sys.executable).with_name("article-qa")


@pytest.fixture
def opened(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """``ask`` opens the small test corpus's index with the fake embedder, every other option as
    the command line gives it (the options of each opening are listed)."""
    index.build([corpus], tmp_path / "ix", embedder=FakeEmbedder())
    real_open = qa.Assistant.open
    options: list[dict] = []

    def open_fake(location, *, model=None, **given):  # type: ignore[no-untyped-def]
        options.append(given)
        return real_open(tmp_path / "ix", embedder=FakeEmbedder(), threshold=FAKE_THRESHOLD, **given)

    monkeypatch.setattr(qa.Assistant, "open", open_fake)
    monkeypatch.delenv("ARTICLE_QA_RERANKER", raising=False)
    return options


def ask_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code = main(["ask", QUESTION, "--json", *extra])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def test_ask_json_reports_the_rerankers_cost_and_nothing_else_changes(opened, capsys, tiny_reranker):
    plain = ask_json(capsys)
    reranked = ask_json(capsys, "--reranker", str(tiny_reranker))
    assert opened[0]["reranker"] is None and opened[1]["reranker"] == str(tiny_reranker)
    assert "rerank" not in plain
    cost = reranked.pop("rerank")
    assert cost["model"] == str(tiny_reranker) and cost["pairs"] == 10 and cost["fitted"] is False
    assert cost["ms"] > 0 and cost["load_ms"] > 0
    assert reranked.pop("timings")["rerank"] > 0
    plain.pop("timings")
    assert reranked == plain and reranked["citations"]


def test_the_variable_stands_for_the_option_and_the_option_wins(
    opened, capsys, tiny_reranker, tmp_path, monkeypatch
):
    monkeypatch.setenv("ARTICLE_QA_RERANKER", str(tiny_reranker))
    assert ask_json(capsys)["rerank"]["model"] == str(tiny_reranker)
    monkeypatch.setenv("ARTICLE_QA_RERANKER", str(tmp_path / "no-such-model"))
    assert ask_json(capsys, "--reranker", str(tiny_reranker))["rerank"]["model"] == str(tiny_reranker)


def _empty(folder: Path) -> Path:
    folder.mkdir()
    return folder


def _garbage(folder: Path) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"\x00garbage" * 64)
    return folder


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("missing", "no such folder; give the folder a CrossEncoder was saved to (CrossEncoder.save(FOLDER))"),
        ("empty", "(the folder must hold a saved sentence-transformers CrossEncoder: config.json, weights, tokenizer)"),
        ("garbage", "(the folder must hold a saved sentence-transformers CrossEncoder: config.json, weights, tokenizer)"),
        ("unknown", "no such folder, and no such model in this machine's Hugging Face cache (HF_HUB_OFFLINE is set)"),
    ],
)  # fmt: skip
def test_a_reranker_that_cannot_load_is_one_line_and_status_2(
    opened, capsys, tmp_path, monkeypatch, case, said
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reranker = {
        "missing": lambda: str(tmp_path / "models" / "no-such-model"),
        "empty": lambda: str(_empty(tmp_path / "empty")),
        "garbage": lambda: str(_garbage(tmp_path / "garbage")),
        "unknown": lambda: "no-such-org/no-such-cross-encoder",
    }[case]()
    code = main(["ask", QUESTION, "--json", "--reranker", reranker])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("article-qa: ") and reranker in err and said in err


@pytest.mark.e2e
def test_the_installed_command_reranks_over_the_real_model_and_fails_in_one_line(sample_index, tiny_reranker):
    def ask(*extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "ARTICLE_QA_RERANKER"}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])  # this tree's code
        question = "Qui a rompu ses relations avec la Corée du Nord ?"
        return subprocess.run(
            [str(EXE), "ask", question, "--index", str(sample_index), "--json", *extra],
            capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip

    plain, reranked = ask(), ask("--reranker", str(tiny_reranker))
    assert plain.returncode == 0 and reranked.returncode == 0, reranked.stderr
    before, after = json.loads(plain.stdout), json.loads(reranked.stdout)
    cost = after.pop("rerank")
    assert cost["pairs"] == 10 and cost["model"] == str(tiny_reranker) and not cost["fitted"]
    assert "has no fitted combination" in reranked.stderr and "Traceback" not in reranked.stderr
    for answer in (before, after):
        answer.pop("timings")
    assert after == before and after["citations"]
    unknown = ask("--reranker", "no-such-org/no-such-cross-encoder")
    assert unknown.returncode == 2 and unknown.stdout == ""
    [line] = unknown.stderr.strip().splitlines()
    assert line.startswith(
        "article-qa: unknown re-ranker 'no-such-org/no-such-cross-encoder': no such folder"
    )


def test_serve_loads_the_reranker_before_it_listens_and_keeps_it(tmp_path, monkeypatch, tiny_reranker):
    corpus = write_corpus(tmp_path / "sample")
    fake = FakeEmbedder()
    monkeypatch.setattr(index, "sample_sources", lambda: [corpus])
    monkeypatch.setattr(index, "load_embedder", lambda *a, **k: fake)
    monkeypatch.setattr("qa.assistant.load_embedder", lambda *a, **k: fake)  # the index's model, reopened
    said: list[str] = []
    live = server.prepare(tmp_path / "ix", say=said.append, reranker=str(tiny_reranker))
    first = live.current.reranker
    assert first is not None and first.name == str(tiny_reranker)
    assert said[-1].startswith(f"Model loaded (fake-hash-64; re-ranker {tiny_reranker}) in ")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "new.txt").write_text("Un titre\n\nUne phrase nouvelle sur la capsule.", "utf-8")
    live.update([tmp_path / "more"])
    assert live.current.reranker is first  # the loaded model, not its name loaded again
    with pytest.raises(qa.ModelLoadError, match="no re-ranker at"):
        server.prepare(tmp_path / "ix", say=said.append, reranker=str(tmp_path / "no-such-model"))


@pytest.mark.parametrize("command", ["serve", "eval"])
def test_serve_and_eval_take_the_option(command, monkeypatch, tmp_path, tiny_reranker):
    import qa.eval
    import ui.web

    given: dict = {}
    monkeypatch.setattr(ui.web, "serve", lambda *a, **k: given.update(k))
    monkeypatch.setattr(qa.eval, "evaluate_dataset", lambda *a, **k: given.update(k) or _report())
    argv = [command, "--reranker", str(tiny_reranker)] + (
        [str(tmp_path / "d.json")] if command == "eval" else []
    )
    assert main(argv) == 0
    assert given["reranker"] == str(tiny_reranker)


def _report() -> object:
    from qa.eval.workflow import EvalReport

    return EvalReport("ix", {"questions": 0})
