"""Phase outputs of a run between workers: a DataFrame as a compressed columnar blob.

A partition's metrics (phase 1) must reach whichever worker classifies that partition
(phase 3), on any machine. They are kept in the database (RunPartition.metrics), which every
worker already reaches, as one NumPy .npz archive per partition: one member per column, so a
reader decompresses only the columns it asks for, and no pickle anywhere (allow_pickle is
off; text columns are stored as fixed-width Unicode with a null mask). docs/scale-out.md has
the measurements that chose this over an UNLOGGED staging table written by COPY."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import numpy as np
import pandas as pd

_INDEX = "__index__"
_NULLS = "__nulls__"  # prefix of a text column's null mask
_TEXT = "__text__"  # prefix of a text column's values


def frame_pack(frame: pd.DataFrame) -> bytes:
    """The frame (its index included) as compressed bytes."""
    arrays: dict[str, np.ndarray] = {_INDEX: frame.index.to_numpy()}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) and not column.isna().any():
            arrays[name] = column.to_numpy(dtype=bool)
        elif isinstance(column.dtype, np.dtype) and column.dtype.kind in "iuf":
            arrays[name] = column.to_numpy()
        elif pd.api.types.is_numeric_dtype(column):  # nullable extension types
            arrays[name] = column.to_numpy(dtype="float64", na_value=np.nan)
        elif pd.api.types.is_datetime64_any_dtype(column):
            arrays[name] = column.to_numpy(dtype="datetime64[ns]")
        else:
            nulls = column.isna().to_numpy()
            arrays[_NULLS + name] = nulls
            arrays[_TEXT + name] = column.where(~nulls, "").astype(str).to_numpy(dtype=str)
    if arrays[_INDEX].dtype == object:
        raise TypeError("frame_pack needs a numeric index (customer ids)")
    # The .npz layout (one .npy member per column, so np.load reads members lazily), written
    # with the fastest deflate level: level 6 (np.savez_compressed) took 4x longer for a
    # few percent smaller blobs.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, array in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def frame_columns(blob: bytes) -> list[str]:
    """The column names stored in a blob, in their original order."""
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        names = [n.removesuffix(".npy") for n in archive.namelist()]
    out = []
    for name in names:
        if name == _INDEX or name.startswith(_NULLS):
            continue
        out.append(name.removeprefix(_TEXT))
    return out


def frame_unpack(
    blob: bytes | memoryview, columns: Sequence[str] | None = None, index_name: str = "customer_id"
) -> pd.DataFrame:
    """The frame back, or only `columns` of it (only those are decompressed). A column the
    blob lacks raises KeyError naming it."""
    data = bytes(blob)
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        stored = set(archive.files)
        wanted = frame_columns(data) if columns is None else list(columns)
        index = pd.Index(archive[_INDEX], name=index_name)
        out: dict[str, object] = {}
        for name in wanted:
            if name in stored:
                out[name] = archive[name]
            elif _TEXT + name in stored:
                values = archive[_TEXT + name].astype(object)
                values[archive[_NULLS + name]] = None
                out[name] = values
            else:
                raise KeyError(f"column {name!r} is not in the staged frame")
    return pd.DataFrame(out, index=index, columns=wanted)
