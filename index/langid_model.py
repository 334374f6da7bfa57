"""py3langid's model, unpacked once per machine and mapped from the cache by each process.

py3langid ships its model as a 4.6 MB xz archive of 68 MB of arrays. Unpacking it takes about
0.7 s here (0.4 s of xz, 0.2 s of reading the arrays), which every process that detects a
language paid before its first answer: most of an ``ask`` and of ``serve``'s warm-up. The arrays
are written once to the cache (:mod:`.caches`), uncompressed, one ``.npy`` file each, and each
process maps them (a few milliseconds; the pages are shared between processes). Without a cache
that can be written, the model is unpacked in memory, as before. (py3langid's own loader unpacks
it to a temporary file each time an identifier is made.)
"""

from __future__ import annotations

import functools
import io
import logging
import lzma
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from .caches import made_path, making, mark_used, remove

logger = logging.getLogger(__name__)

VERSION = 1
"""Raised when what is kept changes: a model kept by another version is unpacked again."""
ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


@functools.lru_cache(maxsize=1)
def langid_model() -> tuple[Any, ...]:
    """The arguments of py3langid's ``LanguageIdentifier`` (``nb_ptc, nb_pc, nb_classes,
    tk_nextmove, tk_output`` and ``tk_row``'s), once per process."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    source = Path(MODEL_DIR) / MODEL_FILE
    folder = made_path(source, "langid", VERSION)
    try:
        arrays = mapped(folder)
    except (OSError, ValueError) as exc:
        if folder.exists():  # damaged: made again below
            logger.warning("the language model kept at %s is damaged (%s): it is unpacked again", folder, exc)
            remove(folder)
        arrays = unpacked(source)
        keep(arrays, folder)
    else:
        mark_used(folder)
    ptc, pc, classes, nextmove, row, output = (arrays[name] for name in ARRAYS)
    return ptc, pc, classes.tolist(), _stdlib(nextmove), _stdlib(row), output.tolist()


def unpacked(source: Path) -> dict[str, np.ndarray]:
    """The model's arrays, read from py3langid's archive."""
    with lzma.open(source) as packed, np.load(io.BytesIO(packed.read()), allow_pickle=False) as data:
        return {name: np.asarray(data[name]) for name in ARRAYS}


def mapped(folder: Path) -> dict[str, np.ndarray]:
    """The arrays kept in ``folder``, mapped from their files.

    Raises:
        OSError: there are none (or not all).
        ValueError: a file is not what :func:`keep` writes.
    """
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in ARRAYS}
    classes = len(arrays["classes"])
    if arrays["ptc"].ndim != 2 or arrays["ptc"].shape[1] != classes or arrays["pc"].shape != (classes,):
        raise ValueError("its arrays do not fit together")
    return arrays


def keep(arrays: dict[str, np.ndarray], folder: Path) -> None:
    """Write ``arrays`` to ``folder``, whole or not at all (a cache that cannot be written, or
    where another process has just put its own, is left as it is)."""
    try:
        with making(folder) as work:
            (work / folder.name).mkdir()
            for name in ARRAYS:
                np.save(work / folder.name / f"{name}.npy", arrays[name], allow_pickle=False)
    except OSError as exc:
        logger.debug("the language model is not kept (%s)", exc)


def _stdlib(values: np.ndarray) -> array[int]:
    """What py3langid's automaton walks: a stdlib array (indexing a numpy array is slower)."""
    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).data.cast("B"))
    return out
