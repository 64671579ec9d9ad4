"""Reading pickled-object .npy files as plain data only: what numpy writes loads, anything that
names another global is refused before it runs."""

from __future__ import annotations

import builtins
import collections
import os
import pickle

import numpy as np
import pytest

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.safe_load import load_plain_npy


class _Runs:
    """A pickle payload that calls ``function(argument)`` when unpickled."""

    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return self.function, (self.argument,)


def _save(path, value) -> None:
    np.save(path, np.array(value, dtype=object), allow_pickle=True)


def test_what_numpy_writes_for_dicts_of_arrays_and_numbers_loads_as_np_load_reads_it(tmp_path):
    data = {"joints": np.arange(12, dtype=np.float32).reshape(2, 2, 3),
            "clouds": {4: np.ones((2, 1, 3, 3), np.float32), 14: np.zeros((2, 1, 3, 3), ">f8")},
            "ids": [4, 14], "grasp": 1, "split": "val", "scalar": np.int64(7),
            "float": np.float32(0.5), "text": np.array(["a", "bc"]), "nested": ({1, 2}, 3.5j),
            "record": np.array([(1, 2.0)], dtype=[("x", "i4"), ("y", "f8")]), "raw": b"\x00\x01",
            "ordered": collections.OrderedDict(a=1), "none": None, "flag": True}
    _save(tmp_path / "dict.npy", data)
    loaded = load_plain_npy(tmp_path / "dict.npy")
    reference = np.load(tmp_path / "dict.npy", allow_pickle=True).item()
    assert loaded.keys() == data.keys()
    _assert_same(loaded, reference)


def _assert_same(a, b) -> None:
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


def test_a_file_numpy_1_wrote_loads(tmp_path):
    """numpy 1.x pickled with protocol 3 and named numpy.core.multiarray (numpy 2: protocol 4,
    numpy._core.multiarray); this writes such a file by hand."""
    value = np.array({"joints": np.ones((2, 3), np.float32), "id": np.int64(4)}, dtype=object)
    payload = pickle.dumps(value, protocol=3)
    assert b"numpy._core.multiarray\n" in payload  # protocol 3 names globals as text lines
    payload = payload.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    path = tmp_path / "old.npy"
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "|O", "fortran_order": False,
                                                      "shape": ()})
        handle.write(payload)
    loaded = load_plain_npy(path)
    np.testing.assert_array_equal(loaded["joints"], np.ones((2, 3), np.float32))
    assert loaded["id"] == 4 and loaded["joints"].dtype == np.float32


def test_plain_and_object_arrays_load(tmp_path):
    np.save(tmp_path / "plain.npy", np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(load_plain_npy(tmp_path / "plain.npy"),
                                  np.arange(6.0).reshape(2, 3))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, [2]], dtype=object), allow_pickle=True)
    assert load_plain_npy(tmp_path / "objects.npy").tolist() == [{"a": 1}, [2]]


@pytest.mark.parametrize("function, refused", [
    (os.system, f"{os.system.__module__}.system"),
    (builtins.eval, "builtins.eval"),
    (builtins.exec, "builtins.exec"),
    (np.load, "numpy.load"),  # numpy, but not what rebuilding an array needs
])
def test_a_payload_that_would_run_code_is_refused_and_never_runs(tmp_path, function, refused):
    marker = tmp_path / "ran"
    argument = {os.system: f"touch {marker}",
                builtins.eval: f"open({str(marker)!r}, 'w')",
                builtins.exec: f"open({str(marker)!r}, 'w')",
                np.load: str(marker)}[function]
    path = tmp_path / "episode.npy"
    _save(path, {"hand_joints": np.zeros((2, 1, 21, 3)), "payload": _Runs(function, argument)})
    with pytest.raises(TrackbenchError) as caught:
        load_plain_npy(path)
    message = str(caught.value)
    assert str(path) in message and f"'{refused}'" in message and "Nothing in it was run" in message
    assert not marker.exists()


def test_a_pickle_protocol_0_global_and_a_persistent_id_are_refused(tmp_path):
    header = tmp_path / "header.npy"
    _save(header, {"a": 1})
    raw = header.read_bytes()
    start = raw.index(b"\n") + 1  # the 1.0 header ends with a newline
    protocol_0 = tmp_path / "p0.npy"
    protocol_0.write_bytes(raw[:start] + pickle.dumps(_Runs(os.system, "true"), protocol=0))
    with pytest.raises(TrackbenchError, match="refused to load"):
        load_plain_npy(protocol_0)
    persistent = tmp_path / "pid.npy"
    persistent.write_bytes(raw[:start] + b"Pfoo\n.")
    with pytest.raises(TrackbenchError, match=f"{persistent}: not a readable .npy file"):
        load_plain_npy(persistent)


@pytest.mark.parametrize("content", [b"", b"\x93NUMPY garbage", b"random \x00\xff bytes" * 10])
def test_damaged_files_are_named(tmp_path, content):
    path = tmp_path / "broken.npy"
    path.write_bytes(content)
    with pytest.raises(TrackbenchError, match="not a readable .npy file") as caught:
        load_plain_npy(path)
    assert str(path) in str(caught.value)


def test_a_truncated_pickle_is_named(tmp_path):
    path = tmp_path / "cut.npy"
    _save(path, {"a": np.zeros(100)})
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(TrackbenchError, match=f"{path}: not a readable .npy file"):
        load_plain_npy(path)


def test_no_source_file_unpickles_freely():
    """Every torch.load call passes weights_only=True, no np.load call allows pickles, and nothing
    calls rl-games' torch_ext loaders (torch.load(weights_only=False)), pickle.load(s) or
    yaml.load without a safe loader: the only unpickler is safe_load's restricted one."""
    import ast
    from pathlib import Path

    import trackbench

    def dotted(node) -> str:
        if isinstance(node, ast.Attribute):
            return f"{dotted(node.value)}.{node.attr}"
        return node.id if isinstance(node, ast.Name) else "?"

    def keyword(call, name):
        value = next((k.value for k in call.keywords if k.arg == name), None)
        return value.value if isinstance(value, ast.Constant) else value

    offences = []
    for source in sorted(Path(trackbench.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = dotted(node.func)
            where = f"{source.name}:{node.lineno} {name}"
            if name == "torch.load" and keyword(node, "weights_only") is not True:
                offences.append(where)
            elif name in ("np.load", "numpy.load") and keyword(node, "allow_pickle") not in (
                    None, False):
                offences.append(where)
            elif name == "yaml.load" and "SafeLoader" not in dotted(keyword(node, "Loader")):
                offences.append(where)  # yaml.load is safe only with a safe loader
            elif name.split(".")[-1] in ("load_checkpoint", "unsafe_load") or name.startswith(
                    ("torch_ext.load", "torch_ext.safe_load", "pickle.load", "dill.", "joblib.")):
                offences.append(where)
    assert offences == []
