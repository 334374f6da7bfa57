"""The claim checker on crafted replies: each way a claim can fail, and claims that pass."""

from __future__ import annotations

import pytest

from qa.claims import check_claims, split_claims, support
from qa.records import Citation, Passage

PASSAGE = Passage(1, "…", "a", "T", 0, 500, 0, 3, 1.0)
SHOWN = (
    Citation(1, "La capsule transporte 521 kg de matériel vers la station.", "a", "T", 0, 1, 0.9, 0, PASSAGE),
    Citation(2, "L’Ukraine a immédiatement rompu toutes les relations avec la Corée du Nord.", "a", "T", 0, 1, 0.8, 1, PASSAGE),
    Citation(3, "Quelque 48 000 spectateurs sont venus, un record depuis 1987.", "a", "T", 0, 1, 0.7, 2, PASSAGE),
)  # fmt: skip


def verdicts(text: str, question: str = "") -> list[tuple[bool, str | None, str]]:
    return [(v.kept, v.reason, v.detail) for v in check_claims(text, SHOWN, question=question, language="fr")]


def test_markers_are_read_wherever_the_model_puts_them():
    assert split_claims("Elle transporte 521 kg [1]. Un record [3][1]. L'Ukraine a rompu. [2]", "fr") == [
        ("Elle transporte 521 kg.", (1,)),
        ("Un record.", (3, 1)),
        ("L'Ukraine a rompu.", (2,)),
    ]
    assert split_claims("Deux sources le disent [1, 3].", "fr") == [("Deux sources le disent.", (1, 3))]


def test_supported_claims_are_kept():
    assert verdicts(
        "La capsule transporte 521 kg de matériel [1]. L'Ukraine a rompu ses relations avec la Corée du Nord [2]."
    ) == [(True, None, ""), (True, None, "")]
    # A number written with another thousands separator is the same number.
    assert verdicts("Quelque 48000 spectateurs sont venus [3].") == [(True, None, "")]


@pytest.mark.parametrize(
    ("reply", "reason", "detail"),
    [
        ("La capsule transporte du matériel.", "no_citation", ""),
        ("La capsule transporte 521 kg [4].", "unknown_citation", "[4]"),
        ("La capsule transporte 522 kg de matériel [1].", "number", "522"),
        (
            "La capsule transporte 521 kg, un record depuis 1987 [1].",
            "number",
            "1987",
        ),  # 1987 is in [3], not [1]
        ("Selon Jean Dupont, la capsule transporte 521 kg [1].", "name", "Jean"),
        ("L'Ukraine a rompu avec la Russie [2].", "name", "Russie"),
        ("Le gouvernement prépare discrètement plusieurs réformes fiscales [1].", "distant", "0.00"),
    ],
)
def test_each_unsupported_claim_is_caught_with_its_reason(reply, reason, detail):
    assert verdicts(reply) == [(False, reason, detail)]


def test_words_of_the_question_count_as_support_but_not_names_or_numbers():
    question = "Combien de kilos de matériel la capsule Dragon emporte-t-elle ?"
    assert support("La capsule Dragon emporte 521 kilos de matériel.", [SHOWN[0].text]) < 0.5
    assert support("La capsule Dragon emporte 521 kilos de matériel.", [SHOWN[0].text], question) == 1.0
    assert verdicts("La capsule Dragon emporte 521 kg de matériel [1].", question) == [
        (False, "name", "Dragon")
    ]


def test_only_the_failing_claim_fails():
    assert [
        v[0] for v in verdicts("La capsule transporte 521 kg [1]. Elle transporte aussi 9 chats [1].")
    ] == [
        True,
        False,
    ]
