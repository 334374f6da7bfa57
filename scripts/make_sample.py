"""Rebuild index/sample/ from ../shared: the 100 French Wikinews articles and the seed article.

Usage: python scripts/make_sample.py ../shared
Each Wikinews record keeps its id (prefixed ``wikinews-``), title and date; its text is the
lead (when there is one) followed by the paragraphs, the first of which starts with the date
line. The attribution file names Wikinews, the licence and every article id.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "index" / "sample"


def main(shared: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    records = [json.loads(line) for line in (shared / "data" / "wikinews-fr-100.jsonl").open()]
    with (OUT / "wikinews-fr-100.jsonl").open("w", encoding="utf-8") as out:
        for r in records:
            paragraphs = ([r["lead"]] if r.get("lead") else []) + r["paragraphs"]
            record = {
                "id": f"wikinews-{r['id']}",
                "title": r["title"],
                "date": r.get("date"),
                "source": "Wikinews",
                "lang": "fr",
                "text": "\n\n".join(paragraphs),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    for seed in sorted((shared / "seeds").glob("*.txt")):
        shutil.copyfile(seed, OUT / seed.name)
    ids = "\n".join(f"- wikinews-{r['id']}: {r['title']} ({r.get('date') or 'undated'})" for r in records)
    (OUT / "ATTRIBUTION.md").write_text(
        "# Sample articles: sources and licences\n\n"
        "## wikinews-fr-100.jsonl\n\n"
        "100 French news articles from **Wikinews** (https://fr.wikinews.org), published between\n"
        "May and December 2012, licensed under the **Creative Commons Attribution 2.5** licence\n"
        "(CC BY 2.5, https://creativecommons.org/licenses/by/2.5/). They come from the\n"
        "WikinewsKeyphraseCorpus of Bougouin, Boudin and Daille (IJCNLP 2013). Changes: whitespace\n"
        "collapsed, the lead (h2) placed before the paragraphs, ids prefixed with `wikinews-`.\n\n"
        "Articles (id: title, date):\n\n" + ids + "\n\n"
        "## 000_b58262a57bd1c4a3.txt\n\n"
        "The project's seed article (French news, source line `À PRÉSENT`), as given to the project.\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared"))
