"""Writing test input files: one helper instead of a copy per test module."""

from __future__ import annotations

import numpy as np


def write(folder, name, content):
    """folder/name holding `content` (text, or an array saved as .npy); returns the path."""
    path = folder / name
    if isinstance(content, np.ndarray):
        np.save(path, content)
    else:
        path.write_text(content)
    return path
