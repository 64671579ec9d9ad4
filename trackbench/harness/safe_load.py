"""Loading files without running code they may carry: torch checkpoints and pickled ``.npy``.

A pickle can call any importable function (``os.system``) while it loads, so trackbench never
unpickles a file freely:

- :func:`load_tensors` reads a torch file with ``torch.load(weights_only=True)``, which builds
  only tensors, numbers, strings and containers, and turns every way a file can be damaged or
  foreign into one TrackbenchError naming it. Every torch file trackbench reads goes through it
  (training checkpoints, predictor checkpoints); rl-games' own loader, which unpickles anything,
  is never used.
- :func:`load_plain_npy` reads a ``.npy`` file (the authors' dict-per-episode files) without
  ``np.load(allow_pickle=True)``: it reads the header itself and unpickles an object payload
  with an unpickler whose ``find_class`` hands out only what numpy needs to rebuild arrays and
  numbers (:data:`ALLOWED_GLOBALS`); dicts, lists, tuples, strings, numbers and bytes need no
  global at all. Anything else is refused before it is called, naming the file and the global.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np

from trackbench.harness.errors import TrackbenchError

# (module, name) pairs a pickled numpy array, dtype or scalar refers to; numpy 1.x wrote
# numpy.core, numpy 2 writes numpy._core. The rest are plain containers and values.
ALLOWED_GLOBALS = frozenset({
    *((module, name) for module in ("numpy.core.multiarray", "numpy._core.multiarray")
      for name in ("_reconstruct", "scalar")),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"),
    ("builtins", "bytearray"), ("collections", "OrderedDict"),
})


class RefusedGlobal(pickle.UnpicklingError):
    """The payload names a global outside :data:`ALLOWED_GLOBALS`."""

    def __init__(self, module: str, name: str):
        super().__init__(f"{module}.{name}")
        self.qualified = f"{module}.{name}"


class PlainUnpickler(pickle.Unpickler):
    """An unpickler that builds only numpy arrays, numbers, strings and containers."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise RefusedGlobal(module, name)
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent references are not plain data")


def load_plain_npy(path: str | Path) -> Any:
    """The contents of the ``.npy`` file ``path``: an array, or the object a 0-d object array
    holds (the authors' dict). Only plain data is built; nothing in the file is executed.

    Raises TrackbenchError naming the file when it is not a readable ``.npy`` file, or when its
    pickled payload names any global outside :data:`ALLOWED_GLOBALS` (the global is named; it is
    never imported or called).
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f".npy format version {version[0]}.{version[1]} is not read "
                                 f"here (1.0 and 2.0 are)")
            if not dtype.hasobject:
                handle.seek(0)
                return np.lib.format.read_array(handle, allow_pickle=False)
            array = PlainUnpickler(handle).load()
    except RefusedGlobal as refused:
        raise TrackbenchError(
            f"{path}: refused to load: its pickled data names '{refused.qualified}', which is not "
            f"plain data (arrays, numbers, strings, lists, dicts). Nothing in it was run. If the "
            f"file comes from a source you trust, convert it to plain arrays and dicts."
        ) from None
    except Exception as error:  # numpy and pickle raise many kinds for a damaged file
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise TrackbenchError(f"{path}: not a readable .npy file ({type(error).__name__}"
                              f"{': ' + reason if reason else ''})") from None
    if not isinstance(array, np.ndarray) or array.dtype != dtype or array.shape != shape:
        raise TrackbenchError(f"{path}: not a readable .npy file (its data do not match its "
                              f"header: {dtype} {shape})")
    return array.item() if array.shape == () else array  # the authors' dict, or an object array


def load_tensors(path: str | Path, what: str, advice: str = "") -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)``: tensors, numbers, strings and
    containers only. ``what`` names the file in messages ("the checkpoint"); ``advice`` is
    appended to them ("Rerun with --force ...").

    Raises TrackbenchError naming the file when it is empty, damaged, not a torch file, or holds
    pickled objects of any other kind (their global is named; nothing in the file runs).
    """
    import torch

    path = Path(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        text = str(error)
        refused = re.search(r"GLOBAL (\S+)", text)
        if refused:
            reason = (f"it holds pickled objects ('{refused.group(1)}'), not only tensors and "
                      f"numbers, so it was refused; nothing in it ran")
        else:
            detail = re.search(r"WeightsUnpickler error:\s*(.+)", text)
            reason = ("it is damaged or not a torch file"
                      + (f" ({detail.group(1).strip()})" if detail else ""))
    except EOFError:
        reason = "the file is empty or cut short"
    except OSError as error:
        reason = error.strerror or str(error)
    except Exception as error:  # torch raises many types for truncated or foreign files
        first = str(error).strip().split(". ")[0].splitlines()[0] if str(error).strip() else ""
        reason = "it is damaged or not a torch file" + (f" ({first})" if first else "")
    raise TrackbenchError(f"cannot read {what} {path}: {reason}.{' ' + advice if advice else ''}")
