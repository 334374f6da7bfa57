"""The web app's words in French and English, for Gradio's labels and for the HTML we render.

Labels go to the browser through ``gr.I18n`` (:func:`gradio_i18n`) and follow its language,
or the one chosen in the app's settings. Text rendered on the server (answers, the article
panel, the index panel) uses :func:`text` with the page's language, which each event
sends along (see ``PAGE_LANGUAGE_JS`` in :mod:`ui.web.app`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from index.errors import QAError

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import gradio as gr

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"  # as Gradio falls back for labels in other languages

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        # labels (static, translated in the browser)
        "title": "article-qa",
        "tagline": "Posez une question sur les articles : chaque réponse cite les phrases exactes de ses sources.",
        "chat": "Conversation",
        "chat_placeholder": "Posez une question en français ou en anglais. Chaque phrase de la réponse vient d’un article, et un clic sur une citation ouvre l’article.",
        "question": "Votre question",
        "question_placeholder": "Posez une question sur les articles…",
        "send": "Envoyer",
        "new_chat": "Nouvelle conversation",
        "filters": "Filtres et réglages",
        "category": "Catégorie",
        "date_from": "Articles du",
        "date_to": "au",
        "top_k": "Passages lus par question",
        "tab_article": "Article",
        "tab_index": "Index",
        "open_citation": "Ouvrir une citation",
        "upload": "Ajouter des articles (.txt, .md, .html, .jsonl, .pdf, .docx)",
        "add": "Indexer ces fichiers",
        "rebuild": "Reconstruire l’index",
        "reader_empty": "Cliquez sur une citation pour lire son article ; la phrase citée y est surlignée.",
        # rendered on the server
        "all_categories": "Toutes",
        "sources": "Sources",
        "read_article": "Lire l’article",
        "undated": "sans date",
        "page": "p. {page}",
        "related": "Passages les plus proches, à lire :",
        "answer_mode": "Réponses",
        "mode_quoted": "Citées",
        "mode_composed": "Rédigées par le modèle",
        "composed_by": "Rédigée par {model} ; chaque phrase a été vérifiée contre les phrases qu’elle cite.",
        "drafting": "Rédaction en cours… (chaque phrase sera vérifiée contre ses citations)",
        "removed_claims": "Phrases retirées, faute d’appui dans les sources :",
        "claim_no_citation": "(ne cite aucune phrase)",
        "claim_unknown_citation": "(cite {detail}, qui n’existe pas)",
        "claim_number": "(le nombre {detail} n’est pas dans les phrases citées)",
        "claim_name": "(le nom « {detail} » n’est pas dans les phrases citées)",
        "claim_distant": "(trop éloignée des phrases citées)",
        "claim_negation": "(négative là où les phrases citées ne le sont pas, ou l’inverse)",
        "claim_unsupported": "(mots absents des phrases citées : {detail})",
        "claim_off_question": "(ne répond pas à la question posée)",
        "declined_by": "Le modèle {model} a lu les passages les plus proches sans y trouver la réponse.",
        "fallback_timeout": "Le modèle {model} n’a pas répondu à temps : voici les phrases citées.",
        "fallback_busy": "Le modèle {model} est occupé par d’autres questions : voici les phrases citées.",
        "fallback_too_large": "La réponse du modèle {model} dépassait la taille permise : voici les phrases citées.",
        "fallback_connection": "Le modèle {model} est injoignable : voici les phrases citées.",
        "fallback_http": "Le serveur du modèle {model} a refusé la demande : voici les phrases citées.",
        "fallback_malformed": "La réponse du modèle {model} était illisible : voici les phrases citées.",
        "fallback_empty": "Le modèle {model} n’a rédigé aucune phrase : voici les phrases citées.",
        "fallback_nothing_left": "Aucune phrase rédigée par {model} n’était appuyée par ses citations : voici les phrases citées.",
        "not_found_hint": "Essayez une autre formulation, ou retirez les filtres.",
        "characters": "caractères {start}–{end}",
        "open_source": "source",
        "cited_sentence": "Phrase citée",
        "passage_read": "Passage lu pour répondre",
        "error": "Je ne peux pas répondre à cette question",
        "unknown_citation": "Cette citation n’est plus disponible : posez la question à nouveau.",
        "article_gone": "Cet article n’est plus dans l’index.",
        "dates_info": "L’index couvre du {first} au {last}.",
        "info_articles": "Articles",
        "info_sentences": "Phrases",
        "info_chunks": "Passages",
        "info_model": "Modèle",
        "info_dates": "Dates",
        "info_languages": "Langues",
        "info_size": "Taille",
        "info_last_build": "Dernière mise à jour",
        "info_last_build_value": "{kind} le {at} : {added} ajouté(s), {changed} modifié(s), {removed} retiré(s)",
        "kind_build": "construction",
        "kind_update": "ajout",
        "no_files": "Choisissez d’abord des fichiers à indexer.",
        "report_update": "Index mis à jour : {added} article(s) ajouté(s), {changed} modifié(s), {unchanged} inchangé(s). Les réponses viennent maintenant du nouvel index.",
        "report_nothing": "Rien de nouveau : ces articles étaient déjà dans l’index.",
        "report_build": "Index reconstruit : {articles} articles, {chunks} passages. Les réponses viennent maintenant du nouvel index.",
        "report_problems": "Fichiers ou lignes non indexés :",
        "report_missing": "Sources introuvables, leurs articles ont été retirés :",
        "report_failed": "L’index n’a pas changé",
        "report_failed_because": "L’index n’a pas changé. {reason}",
        "rejected": "refusé",
        "busy": "Une mise à jour de l’index est déjà en cours : réessayez quand elle sera finie.",
        "stage_read": "Lecture des fichiers",
        "stage_segment": "Découpage en phrases",
        "stage_embed": "Calcul des vecteurs",
        "stage_write": "Écriture de l’index",
        "rebuild_confirm": "Reconstruire tout l’index à partir de ses fichiers ? Les questions restent possibles pendant ce temps.",
        "rebuild_yes": "Oui, reconstruire",
        "rebuild_no": "Annuler",
        "rebuild_cancelled": "Reconstruction annulée : l’index n’a pas changé.",
        # errors, by the library's error codes (QAError.code), in the reader's words
        "err_question_empty": "La question est vide : écrivez une question sur les articles.",
        "err_question_no_words": "La question ne contient aucun mot : écrivez une question sur les articles.",
        "err_unknown_filter": "L’index n’a pas de {column} « {value} » : choisissez-en un dans la liste.",
        "err_option": "Réglage hors limites ({option}) : choisissez une valeur entre {low} et {high}.",
        "err_option_not_a_date": "« {value} » n’est pas une date : écrivez-la comme 2012-06-30.",
        "err_option_type": "« {option} » n’a pas le bon type : {expected} attendu.",
        "type_text": "un texte",
        "type_number": "un nombre",
        "type_bool": "true ou false",
        "type_date": "une date (texte)",
        "err_option_reversed": "La date de début ({start}) est après la date de fin ({end}).",
        "err_no_articles": "Aucun article lisible dans ces fichiers.",
        "err_index_damaged": "L’index est endommagé : reconstruisez-le (onglet Index).",
        "err_index_mismatch": "L’index a été construit avec un autre modèle ou une autre version : reconstruisez-le.",
        "err_index_not_found": "L’index a disparu du disque : relancez l’application.",
        "err_index_unreachable": "Le serveur qui contient l’index ne répond pas : réessayez dans un moment.",
        "err_index_locked": "Une mise à jour de l’index est déjà en cours : réessayez quand elle sera finie.",
        "err_model_load": "Le modèle ne se charge pas : le journal du serveur dit pourquoi.",
        "err_missing_dependency": "Un composant facultatif manque sur le serveur ({package}) : installez article-qa[{extra}].",
        "err_removal_refused": "Cette mise à jour retirerait {removed} des {total} articles : rien n’a été changé.",
        "err_error": "L’opération a échoué : le journal du serveur dit pourquoi.",
        "col_category": "catégorie",
        "col_source": "source",
        # files or records not indexed, by ReadProblem.code
        "prob_missing": "introuvable",
        "prob_no_files": "aucun fichier d’article dans ce dossier",
        "prob_unsupported": "type de fichier non pris en charge",
        "prob_too_large": "fichier trop gros",
        "prob_empty": "fichier vide",
        "prob_binary": "fichier binaire, pas du texte",
        "prob_no_text": "aucun texte d’article trouvé",
        "prob_bad_json": "JSON mal formé",
        "prob_bad_record": "enregistrement illisible (un objet JSON avec « text » est attendu)",
        "prob_bad_html": "HTML illisible",
        "prob_bad_pdf": "PDF illisible (abîmé ?) : ouvrez-le et enregistrez-le de nouveau",
        "prob_bad_docx": "document Word illisible : ouvrez-le et enregistrez-le de nouveau",
        "prob_encrypted": "protégé par un mot de passe : indexez une copie sans mot de passe",
        "prob_no_text_layer": "PDF sans texte (une image scannée ?) : passez-le d’abord à l’OCR",
        "prob_duplicate": "identifiant d’article déjà pris par un autre article",
        "prob_unlisted": "dossier illisible, ses articles sont gardés",
        "prob_unreadable": "fichier illisible",
        "prob_not_regular": "pas un fichier ordinaire (tube, périphérique) : jamais ouvert",
        "prob_broken_link": "lien symbolique vers rien, ses articles sont gardés",
        "prob_loop": "lien vers un dossier au-dessus (une boucle), non suivi",
        "prob_same_folder": "dossier déjà lu sous un autre nom, lu une fois",
        "up_not_uploaded": "ce fichier n’a pas été envoyé par cette page",
        "up_unsupported": "type de fichier non pris en charge (.txt, .md, .html, .json, .jsonl, .pdf, .docx)",
        "up_unreadable": "fichier envoyé illisible",
        "up_empty": "fichier vide",
        "up_too_large": "plus de {max_mb} Mo",
        "up_bad_name": "nom de fichier inutilisable",
    },
    "en": {
        "title": "article-qa",
        "tagline": "Ask a question about the articles: every answer cites the exact sentences of its sources.",
        "chat": "Conversation",
        "chat_placeholder": "Ask a question in English or French. Every sentence of the answer comes from an article, and clicking a citation opens the article.",
        "question": "Your question",
        "question_placeholder": "Ask a question about the articles…",
        "send": "Send",
        "new_chat": "New conversation",
        "filters": "Filters and settings",
        "category": "Category",
        "date_from": "Articles from",
        "date_to": "to",
        "top_k": "Passages read per question",
        "tab_article": "Article",
        "tab_index": "Index",
        "open_citation": "Open a citation",
        "upload": "Add articles (.txt, .md, .html, .jsonl, .pdf, .docx)",
        "add": "Index these files",
        "rebuild": "Rebuild the index",
        "reader_empty": "Click a citation to read its article, with the cited sentence highlighted.",
        "all_categories": "All",
        "sources": "Sources",
        "read_article": "Read the article",
        "undated": "undated",
        "page": "p. {page}",
        "related": "The closest passages, to read:",
        "answer_mode": "Answers",
        "mode_quoted": "Quoted",
        "mode_composed": "Composed by the model",
        "composed_by": "Composed by {model}; each sentence was checked against the sentences it cites.",
        "drafting": "Writing… (each sentence will be checked against its citations)",
        "removed_claims": "Sentences removed, as the sources do not support them:",
        "claim_no_citation": "(cites no sentence)",
        "claim_unknown_citation": "(cites {detail}, which does not exist)",
        "claim_number": "(the number {detail} is not in the cited sentences)",
        "claim_name": "(the name “{detail}” is not in the cited sentences)",
        "claim_distant": "(too far from the cited sentences)",
        "claim_negation": "(negative where the cited sentences are not, or the reverse)",
        "claim_unsupported": "(words found in no cited sentence: {detail})",
        "claim_off_question": "(does not answer the question asked)",
        "declined_by": "The model {model} read the closest passages and found no answer there.",
        "fallback_timeout": "The model {model} did not answer in time: here are the cited sentences.",
        "fallback_busy": "The model {model} is busy with other questions: here are the cited sentences.",
        "fallback_too_large": "The reply of the model {model} was larger than allowed: here are the cited sentences.",
        "fallback_connection": "The model {model} cannot be reached: here are the cited sentences.",
        "fallback_http": "The server of the model {model} refused the request: here are the cited sentences.",
        "fallback_malformed": "The reply of the model {model} could not be read: here are the cited sentences.",
        "fallback_empty": "The model {model} wrote no sentence: here are the cited sentences.",
        "fallback_nothing_left": "No sentence {model} wrote was supported by its citations: here are the cited sentences.",
        "not_found_hint": "Try another wording, or remove the filters.",
        "characters": "characters {start}–{end}",
        "open_source": "source",
        "cited_sentence": "Cited sentence",
        "passage_read": "Passage read to answer",
        "error": "I cannot answer this question",
        "unknown_citation": "This citation is no longer available: ask the question again.",
        "article_gone": "This article is no longer in the index.",
        "dates_info": "The index covers {first} to {last}.",
        "info_articles": "Articles",
        "info_sentences": "Sentences",
        "info_chunks": "Passages",
        "info_model": "Model",
        "info_dates": "Dates",
        "info_languages": "Languages",
        "info_size": "Size",
        "info_last_build": "Last change",
        "info_last_build_value": "{kind} at {at}: {added} added, {changed} changed, {removed} removed",
        "kind_build": "build",
        "kind_update": "update",
        "no_files": "Choose files to index first.",
        "report_update": "Index updated: {added} article(s) added, {changed} changed, {unchanged} unchanged. Answers now come from the new index.",
        "report_nothing": "Nothing new: these articles were already in the index.",
        "report_build": "Index rebuilt: {articles} articles, {chunks} passages. Answers now come from the new index.",
        "report_problems": "Files or lines not indexed:",
        "report_missing": "Sources not found, their articles were removed:",
        "report_failed": "The index did not change",
        "report_failed_because": "The index did not change. {reason}",
        "rejected": "refused",
        "busy": "An index update is already running: try again when it has finished.",
        "stage_read": "Reading the files",
        "stage_segment": "Splitting sentences",
        "stage_embed": "Computing vectors",
        "stage_write": "Writing the index",
        "rebuild_confirm": "Rebuild the whole index from its files? Questions can still be asked meanwhile.",
        "rebuild_yes": "Yes, rebuild",
        "rebuild_no": "Cancel",
        "rebuild_cancelled": "Rebuild cancelled: the index did not change.",
        "err_question_empty": "The question is empty: type a question about the articles.",
        "err_question_no_words": "The question has no words: type a question about the articles.",
        "err_unknown_filter": "The index has no {column} “{value}”: choose one from the list.",
        "err_option": "Setting out of range ({option}): choose a value between {low} and {high}.",
        "err_option_not_a_date": "“{value}” is not a date: write it like 2012-06-30.",
        "err_option_type": "“{option}” has the wrong type: {expected} expected.",
        "type_text": "text",
        "type_number": "a number",
        "type_bool": "true or false",
        "type_date": "a date (text)",
        "err_option_reversed": "The start date ({start}) is after the end date ({end}).",
        "err_no_articles": "No readable article in these files.",
        "err_index_damaged": "The index is damaged: rebuild it (Index tab).",
        "err_index_mismatch": "The index was built with another model or version: rebuild it.",
        "err_index_not_found": "The index is gone from the disk: restart the app.",
        "err_index_unreachable": "The server that holds the index does not answer: try again in a moment.",
        "err_index_locked": "An index update is already running: try again when it has finished.",
        "err_model_load": "The model does not load: the server's log says why.",
        "err_missing_dependency": "An optional component is missing on the server ({package}): install article-qa[{extra}].",
        "err_removal_refused": "This update would remove {removed} of the {total} articles: nothing was changed.",
        "err_error": "The operation failed: the server's log says why.",
        "col_category": "category",
        "col_source": "source",
        "prob_missing": "not found",
        "prob_no_files": "no article files in this folder",
        "prob_unsupported": "unsupported file type",
        "prob_too_large": "file too large",
        "prob_empty": "empty file",
        "prob_binary": "binary file, not text",
        "prob_no_text": "no article text found",
        "prob_bad_json": "malformed JSON",
        "prob_bad_record": "unreadable record (a JSON object with a “text” is expected)",
        "prob_bad_html": "unreadable HTML",
        "prob_bad_pdf": "unreadable PDF (damaged?): open it and save it again",
        "prob_bad_docx": "unreadable Word document: open it and save it again",
        "prob_encrypted": "protected by a password: index a copy without it",
        "prob_no_text_layer": "PDF without text (a scanned image?): run OCR on it first",
        "prob_duplicate": "article id already taken by another article",
        "prob_unlisted": "folder cannot be listed, its articles are kept",
        "prob_unreadable": "unreadable file",
        "prob_not_regular": "not a regular file (pipe, device): never opened",
        "prob_broken_link": "symbolic link to nothing, its articles are kept",
        "prob_loop": "link to a folder above it (a loop), not followed",
        "prob_same_folder": "folder already read under another name, read once",
        "up_not_uploaded": "this file was not uploaded through this page",
        "up_unsupported": "unsupported file type (.txt, .md, .html, .json, .jsonl, .pdf, .docx)",
        "up_unreadable": "the uploaded file cannot be read",
        "up_empty": "empty file",
        "up_too_large": "larger than {max_mb} MB",
        "up_bad_name": "unusable file name",
    },
}


def language(tag: object) -> str:
    """The supported language for a browser language tag (``fr-CA`` → ``fr``), else the default."""
    if isinstance(tag, str) and tag:
        for part in tag.replace("_", "-").split(","):
            base = part.strip().split("-")[0].split(";")[0].lower()
            if base in LANGUAGES:
                return base
    return DEFAULT_LANGUAGE


def text(lang: str, key: str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (a supported language), filled with ``values``."""
    words = TEXTS.get(lang, TEXTS[DEFAULT_LANGUAGE])
    template = words.get(key) or TEXTS["en"][key]
    return template.format(**values) if values else template


def error_text(error: QAError, lang: str) -> str:
    """A library error in ``lang``, worded from its code and data (no paths, no command-line
    advice); an error this app has no words for gets a general message (its own message goes
    to the server's log)."""
    data = {k: v for k, v in error.data.items() if isinstance(v, str | int | float)}
    # The most precise words first: by code and reason (err_question_empty), then by code.
    keys = [f"err_{error.code}_{data['reason']}"] if "reason" in data else []
    if "column" in data and f"col_{data['column']}" in TEXTS["en"]:
        data["column"] = text(lang, f"col_{data['column']}")
    words = TEXTS.get(lang, TEXTS[DEFAULT_LANGUAGE])
    for key in [*keys, f"err_{error.code}"]:
        if key in TEXTS["en"]:
            try:
                return (words.get(key) or TEXTS["en"][key]).format(**data)
            except (KeyError, IndexError):  # the error lacks a fact the words need
                break
    logger.warning("%s: %s", type(error).__name__, error)
    return text(lang, "err_error")


def gradio_i18n() -> gr.I18n:
    """The ``gr.I18n`` of every label, for ``Blocks.launch(i18n=...)``."""
    import gradio as gr

    return gr.I18n(**{lang: dict(words) for lang, words in TEXTS.items()})
