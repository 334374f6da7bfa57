"""What a build or an update tells its caller: its progress as it goes, and at the end the
articles it added, changed and removed, how long each stage took, and the files it could not read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .readers import ReadProblem

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total); stages: read, segment, embed, write."""


@dataclass
class BuildReport:
    """What a build or an update did, how long each stage took, and what it could not read."""

    index_dir: str
    kind: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    texts_encoded: int = 0
    problems: list[ReadProblem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{self.unchanged} unchanged",
        ]
        line = f"{self.kind}: {', '.join(parts)}; {self.chunks_embedded} chunks embedded"
        if self.counts:
            line += (
                f"; index has {self.counts['articles']} articles, "
                f"{self.counts['sentences']} sentences, {self.counts['chunks']} chunks"
            )
        if self.problems:
            line += f"; {len(self.problems)} problem(s), listed above"
        return line

    def to_dict(self) -> dict[str, object]:
        return {
            "index_dir": self.index_dir,
            "kind": self.kind,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "chunks_embedded": self.chunks_embedded,
            "sentences_embedded": self.sentences_embedded,
            "texts_encoded": self.texts_encoded,
            "problems": [str(p) for p in self.problems],
            "timings": self.timings,
            "counts": self.counts,
        }
