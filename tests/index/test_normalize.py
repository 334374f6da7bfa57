import pytest

from index.normalize import normalize_text, plain_key


def test_soft_hyphens_and_blank_runs_removed_paragraphs_kept():
    raw = "pre\u00admier   étage\r\n\r\n\r\nSecond\tparagraphe"
    assert normalize_text(raw) == "premier étage\n\nSecond paragraphe"


def test_nfc_composes_accents():
    assert normalize_text("Corée") == "Corée"  # e + combining acute → é
    assert len(normalize_text("Corée")) == 5


def test_lines_inside_a_paragraph_are_joined_but_list_items_keep_their_line():
    raw = "Une phrase coupée\nen deux lignes.\n- premier point\n- second point"
    assert normalize_text(raw) == "Une phrase coupée en deux lignes.\n- premier point\n- second point"


def test_lone_no_break_space_is_kept_inside_guillemets():
    assert normalize_text("«\u00a0oui\u00a0»") == "«\u00a0oui\u00a0»"


def test_control_characters_never_survive():
    assert "\x1e" not in normalize_text("a\x1eb\x00c")


def test_plain_key_folds_case_accents_and_punctuation():
    assert plain_key("Dans leur isolement, la Corée") == "dans leur isolement la coree"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\t\tb  c", "a b c"),  # tabs add words, double spaces add spaces: both folded
        ("a \tb", "a b"),
        ("  x y ", "x y"),
        ("a\u00a0b c", "a\u00a0b c"),  # a lone no-break space stays
        ("a\u00a0 b", "a b"),
        ("one two three", "one two three"),
    ],
)
def test_blank_runs_fold_to_one_space_whatever_they_mix(raw, expected):
    assert normalize_text(raw) == expected
