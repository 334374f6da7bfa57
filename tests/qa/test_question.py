from qa.question import analyze_question, answer_kind, content_terms
from qa.records import Turn


def test_answer_kinds_in_french_and_english():
    assert answer_kind("Combien de morts ?", "fr") == "number"
    assert answer_kind("En quelle année est-il né ?", "fr") == "date"
    assert answer_kind("Quand la fusée a-t-elle décollé ?", "fr") == "date"
    assert answer_kind("Qui a rompu ses relations ?", "fr") == "person"
    assert answer_kind("Où se trouve la base ?", "fr") == "place"
    assert answer_kind("How many people died?", "en") == "number"
    assert answer_kind("Who announced it?", "en") == "person"
    assert answer_kind("Pourquoi ?", "fr") is None
    assert answer_kind("Combien ?", "de") is None  # no table for German: no guess


def test_question_words_are_not_search_terms():
    assert content_terms("Qui a rompu ses relations avec la Corée du Nord ?", "fr") == [
        "rompu",
        "relat",
        "core",
        "nord",
    ]
    assert content_terms("How many people died?", "en") == ["peopl", "die"]


def test_the_question_language_is_detected_even_when_the_index_lacks_it():
    assert analyze_question("Who broke the relations?", languages=["fr", "en"]).language == "en"
    assert analyze_question("Qui a rompu les relations ?", languages=["fr", "en"]).language == "fr"
    assert analyze_question("Who broke the relations?", languages=["fr"]).language == "en"
    assert analyze_question("Wer gewann das Spiel?", languages=["en"]).language == "de"
    # Chinese writes no spaces: a question is long enough by its letters, not its words.
    assert analyze_question("超级碗50的冠军是谁？", languages=["en"]).language == "zh"


def test_a_question_too_short_to_tell_is_read_in_the_index_language():
    # The detector's likeliest for "Qui ?" is Latin (0.17), and for "Who won?" Xhosa.
    assert analyze_question("Qui ?", languages=["fr"]).language == "fr"
    assert analyze_question("Who won?", languages=["fr"]).language == "fr"
    # A French question the detector finds a little Occitan stays French: French keeps a chance.
    assert analyze_question("Et combien de morts ?", languages=["fr"]).language == "fr"
    assert analyze_question("Obama", languages=["en", "fr"]).language in {"en", "fr"}


def test_across_languages_the_question_words_go_and_names_and_numbers_stay():
    analysis = analyze_question("How many people did Sandy kill in 2012?", languages=["fr"])
    assert analysis.language == "en"
    across = analysis.terms_in("fr")
    assert {"sandy", "2012"} <= set(across)
    assert not {"how", "many", "did"} & set(across)
    assert analysis.terms_in("en") == analysis.terms


def test_follow_up_takes_its_subject_from_the_conversation():
    history = [Turn("Quel avion s'est écrasé à Lagos ?", "Un avion de Dana Air [1]")]
    follow = analyze_question("Et combien de morts ?", languages=["fr"], history=history)
    assert follow.terms == ("mort",) and follow.kind == "number"
    assert {"avion", "ecras", "lagos"} <= set(follow.subject_terms)
    assert "Lagos" in follow.retrieval_text
    # A question with enough terms of its own stands alone.
    alone = analyze_question(
        "Combien de passagers avait le vol de Dana Air ?", languages=["fr"], history=history
    )
    assert alone.subject_terms == () and alone.retrieval_text.startswith("Combien")


def test_overlong_question_is_cut():
    assert len(analyze_question("mot " * 5000, languages=["fr"]).text) <= 2000
