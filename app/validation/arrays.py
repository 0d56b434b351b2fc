"""Strings as numbers: fixed-width code-point matrices, so fixed formats are checked with numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]
CharMatrix = npt.NDArray[np.uint32]


def object_array(values: Sequence[str]) -> Objects:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def char_matrix(values: Objects, width: int) -> CharMatrix:
    """The first ``width`` code points of every value as an (n, width) matrix; 0 pads short values."""
    if not len(values):
        return np.zeros((0, width), dtype=np.uint32)
    fixed = np.array(values.tolist(), dtype=f"<U{width}")
    return fixed.view(np.uint32).reshape(len(values), width)


def digits_mask(matrix: CharMatrix) -> Mask:
    return (matrix >= ord("0")) & (matrix <= ord("9"))


def first_positions(codes: Ints) -> Ints:
    """For codes 0..k-1, the first row of each code."""
    groups = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(groups, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1, dtype=np.int64)
    return first
