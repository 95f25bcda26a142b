"""Read an .npz of stored (uncompressed) arrays with one read and no copies, and hash it.

`np.load` reads each member through zipfile (a CRC pass and a copy per array) after the
verifier has already read and hashed the whole file. Here the file is read once into one
buffer, hashed there, and every array is a read-only view into it, placed so that the largest
array is aligned. Only plain numeric dtypes are accepted: nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
from pathlib import Path

import numpy as np

ALIGN = 64
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"


def _member_layout(
    handle: io.BufferedReader, info: zipfile.ZipInfo
) -> tuple[int, tuple[int, ...], bool, np.dtype]:
    """(offset of the array data in the file, shape, Fortran order, dtype) of one member."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{info.filename}: compressed member")
    fd = handle.fileno()
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(
        os.pread(fd, _LOCAL_HEADER.size, info.header_offset)
    )
    if signature != _LOCAL_SIGNATURE:
        raise ValueError(f"{info.filename}: bad zip local header")
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    prefix = io.BytesIO(os.pread(fd, min(info.file_size, 1 << 16), start))
    version = np.lib.format.read_magic(prefix)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(prefix)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(prefix)
    else:
        raise ValueError(f"{info.filename}: unsupported .npy version {version}")
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ValueError(f"{info.filename}: dtype {dtype} is not a plain numeric array")
    count = int(np.prod(shape, dtype=np.int64))
    if prefix.tell() + count * dtype.itemsize != info.file_size:
        raise ValueError(f"{info.filename}: size does not match its header")
    return start + prefix.tell(), tuple(shape), bool(fortran), dtype


def read_npz(path: Path) -> tuple[dict[str, np.ndarray], str]:
    """The arrays of an .npz (read-only views into one buffer) and the file's sha256.

    Raises ValueError for anything but an .npz of stored, plain numeric .npy members."""
    try:
        with path.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            layout = {
                info.filename.removesuffix(".npy"): _member_layout(handle, info)
                for info in archive.infolist()
            }
            size = os.fstat(handle.fileno()).st_size
            buffer = np.empty(size + ALIGN, dtype=np.uint8)
            biggest = max(
                layout.values(), key=lambda m: int(np.prod(m[1])) * m[3].itemsize, default=(0,)
            )
            shift = (-(buffer.ctypes.data + biggest[0])) % ALIGN
            handle.seek(0)
            if handle.readinto(memoryview(buffer)[shift : shift + size]) != size:
                raise ValueError("file changed while reading")
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not an .npz archive ({exc})") from None
    data = buffer[shift : shift + size]
    digest = hashlib.sha256(data).hexdigest()
    arrays = {}
    for name, (offset, shape, fortran, dtype) in layout.items():
        count = int(np.prod(shape, dtype=np.int64))
        array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        array = array.reshape(shape, order="F" if fortran else "C")
        if not array.flags.aligned:
            array = array.copy(order="K")
        array.setflags(write=False)
        arrays[name] = array
    data.setflags(write=False)
    return arrays, digest
