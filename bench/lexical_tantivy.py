"""The ``tantivy`` candidate of :mod:`bench.lexical`: the same analysed terms in a tantivy index.

Each chunk of the index is one tantivy document: the terms FTS5 holds for it (its title's,
then its body's, as ``chunk_terms`` keeps them, split on whitespace only, so both engines
see the same terms) in one text field, with term frequencies and no positions, and its chunk
id as a fast integer field. A question is the disjunction of its terms (one term query each,
no budget), ranked by tantivy's BM25 (k1 1.2, b 0.75) over the whole index's statistics.

What differs from the project's BM25 (:mod:`index.bm25`): a title term counts 1, not 0.5
(one field: two would get a length norm each); the IDF is Lucene's, ``log(1 + (N - n + 0.5) /
(n + 0.5))``, never 0 for a common term; a chunk's length is kept on one byte (tantivy's
fieldnorm, exact up to 40 terms then coarser). The chunks a search leaves out (copies of a
story, deleted articles) are indexed and left out by a ``MustNot`` clause, as FTS5 counts them
in its statistics and leaves them out of its results. A bare disjunction of term queries takes
tantivy's block-max WAND path; a query with a ``MustNot`` clause (as on ``bench.scale``'s index,
whose copies are 99.5% of its chunks) falls back to its generic pruning loop (tantivy issue
2390), about 0.3 ms more a question there.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

FIELD = "terms"
# One indexing thread with room for the whole index: one segment, as the index measured has.
HEAP_BYTES = 1_000_000_000


def available() -> bool:
    """Whether tantivy is installed (the ``bench`` extra)."""
    return importlib.util.find_spec("tantivy") is not None


class TantivyIndex:
    """A tantivy index of every chunk of ``store`` written in ``directory`` (empty)."""

    def __init__(self, store: Any, directory: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        started = time.perf_counter()
        builder = tantivy.SchemaBuilder()
        builder.add_text_field(FIELD, tokenizer_name="terms", index_option="freq")
        builder.add_integer_field("chunk", fast=True)
        builder.add_integer_field("left_out", indexed=True)
        self.schema = builder.build()
        index = tantivy.Index(self.schema, path=str(directory))
        index.register_tokenizer("terms", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        left_out = {int(i) for s in store.segments for i in np.asarray(s.left_out_chunks())}
        writer = index.writer(heap_size=HEAP_BYTES, num_threads=1)
        self.documents = 0
        for segment in store.segments:
            for rowid, title, body in segment.db.execute("SELECT rowid, title, body FROM chunk_terms"):
                document = tantivy.Document()
                document.add_text(FIELD, f"{title} {body}")
                document.add_integer("chunk", rowid)
                document.add_integer("left_out", int(rowid in left_out))
                writer.add_document(document)
                self.documents += 1
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self.searcher = index.searcher()
        self.build_seconds = time.perf_counter() - started
        self.segments = self.searcher.num_segments
        self.bytes_on_disk = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
        # Only when some chunk is left out: otherwise the query is the bare disjunction of terms.
        self.left_out = (
            [(tantivy.Occur.MustNot, tantivy.Query.term_query(self.schema, "left_out", 1))]
            if left_out
            else []
        )

    def search(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best chunks for ``terms`` by tantivy's BM25, best first."""
        if not terms:
            return []
        query = self.tantivy.Query
        clauses = [
            (self.tantivy.Occur.Should, query.term_query(self.schema, FIELD, t, index_option="freq"))
            for t in terms
        ]
        # count=False: counting every match would leave out block-max WAND.
        hits = self.searcher.search(query.boolean_query(clauses + self.left_out), k, count=False).hits
        ids = self.searcher.fast_field_values("chunk", [address for _, address in hits])
        return [(int(i), float(score)) for (score, _), i in zip(hits, ids, strict=True) if i is not None]

    def report(self) -> dict[str, Any]:
        return {
            "version": importlib.metadata.version("tantivy"),
            "documents": self.documents,
            "segments": self.segments,
            "build_seconds": round(self.build_seconds, 2),
            "bytes_on_disk": self.bytes_on_disk,
            "mb_on_disk": round(self.bytes_on_disk / 2**20, 1),
        }
