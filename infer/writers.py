"""Write scored records as JSONL or CSV, to stdout or atomically to a file.

Every record is one JSONL line under any line-splitting rule (U+0085, U+2028 and U+2029 are
escaped), characters UTF-8 cannot hold (lone surrogates) become U+FFFD, and a CSV cell that a
spreadsheet would run as a formula gets a leading `'`. What `-o` may write to: see
`check_output` and `output_stream`.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from infer.errors import ThreatTaggerError
from infer.readers import STDIN, kind_of

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "id",
    "source",
    "incident_types",
    "incident_probabilities",
    "region",
    "region_probability",
    "country",
    "country_probability",
    "warning",
    "error",
)
CSV_HELP = (
    "CSV columns: " + ", ".join(CSV_COLUMNS) + " (+ explanation as JSON with --explain). "
    "incident_types is `label|label` (highest probability first) and incident_probabilities "
    "holds their probabilities in the same order, e.g. `bombing|kidnap` and `0.9312|0.7104`."
)


# json.dumps(record, ensure_ascii=False) builds a new encoder per call; this one is reused.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
# Characters str.splitlines() breaks on that JSON leaves raw, and lone surrogates.
_UNSAFE = re.compile("[\x85\u2028\u2029\ud800-\udfff]")
_QUOTE_ALL = re.compile("[\r\x85\u2028\u2029]")  # csv leaves these unquoted with \n lines
_SURROGATE = re.compile("[\ud800-\udfff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class OutputError(ThreatTaggerError):
    """`-o` names something the output must not be written to."""


def _escaped(match: re.Match[str]) -> str:
    """A line separator as a JSON escape; a lone surrogate as U+FFFD."""
    char = match.group()
    return "\ufffd" if "\ud800" <= char <= "\udfff" else f"\\u{ord(char):04x}"


class RecordWriter(Protocol):
    """Anything that writes output records one at a time."""

    def write(self, record: dict[str, Any]) -> None:
        """Write one output record."""

    def write_encoded(self, text: str) -> None:
        """Write one output record already encoded by `line_encoder` of the same format."""


def jsonl_line(record: dict[str, Any]) -> str:
    """One output record as a JSON line (line separators escaped, lone surrogates replaced)."""
    line = _ENCODE(record)
    if not line.isascii():
        line = _UNSAFE.sub(_escaped, line)
    return line + "\n"


class CsvLines:
    """Output records as CSV rows under a fixed header (see CSV_HELP), one string each."""

    def __init__(self, *, explain: bool = False) -> None:
        self.columns = CSV_COLUMNS + (("explanation",) if explain else ())
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        self._quoted = csv.writer(self._buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def header(self) -> str:
        """The header row."""
        self._writer.writerow(self.columns)
        return self._taken()

    def __call__(self, record: dict[str, Any]) -> str:
        """One record's row (all cells quoted when one holds a bare CR or a Unicode line
        break, which csv would leave unquoted)."""
        cells = [_safe_cell(_cell(column, record)) for column in self.columns]
        if any(_QUOTE_ALL.search(cell) for cell in cells):
            self._quoted.writerow(cells)
        else:
            self._writer.writerow(cells)
        return self._taken()

    def _taken(self) -> str:
        """What was written to the buffer since the last call, the buffer emptied."""
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def line_encoder(fmt: str, *, explain: bool = False) -> Callable[[dict[str, Any]], str]:
    """What the writer of `fmt` ('jsonl' or 'csv') writes for one record, as a string
    (`score --jobs` workers encode their records with it)."""
    return CsvLines(explain=explain) if fmt == "csv" else jsonl_line


class JsonlWriter:
    """One JSON object per line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, record: dict[str, Any]) -> None:
        """Write one output record."""
        self._stream.write(jsonl_line(record))

    def write_encoded(self, text: str) -> None:
        """Write output records encoded by `jsonl_line` (one or more lines)."""
        self._stream.write(text)


class CsvWriter:
    """One CSV row per record with a fixed header (see CSV_HELP)."""

    def __init__(self, stream: IO[str], *, explain: bool = False) -> None:
        self._stream = stream
        self._lines = CsvLines(explain=explain)
        stream.write(self._lines.header())

    def write(self, record: dict[str, Any]) -> None:
        """Write one output record."""
        self._stream.write(self._lines(record))

    def write_encoded(self, text: str) -> None:
        """Write output records encoded by a `CsvLines` of the same columns (one or more
        rows)."""
        self._stream.write(text)


def _safe_cell(text: str) -> str:
    """A cell UTF-8 can hold, with a leading `'` if a spreadsheet would run it as a formula."""
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(column: str, record: dict[str, Any]) -> str:
    """The CSV cell of one column."""
    value = record.get(column)
    if column == "incident_types":
        return "|".join(value or {})
    if column == "incident_probabilities":
        return "|".join(f"{p:.4f}" for p in (record.get("incident_types") or {}).values())
    if column == "explanation" and value is not None:
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def make_writer(stream: IO[str], fmt: str, *, explain: bool = False) -> RecordWriter:
    """A writer for `fmt` ('jsonl' or 'csv') on an open text stream."""
    if fmt == "csv":
        return CsvWriter(stream, explain=explain)
    return JsonlWriter(stream)


def check_output(path: str | None, inputs: Sequence[str], *, folder: bool = False) -> None:
    """Refuse, before any work, an output path that is empty, in a missing folder, one of the
    inputs, or a file an input folder would read. A file output (`score -o`) must also not be a
    folder nor anything but a regular file, FIFO or character device. A `folder` output (the
    cluster engines' new folder of part files) must not exist at all, nor lie in an input
    folder (its parts would be read as inputs by the next run)."""
    if path is None or path == "-":
        return
    if not path.strip():
        raise OutputError("-o: the output path is empty")
    status = _status(path)
    if folder:
        _check_new_folder(path, inputs, status)
        return
    if status is not None and _is_stream(status.st_mode):
        return
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise OutputError(f"-o {path}: is a folder; name a file to write")
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise OutputError(
            f"-o {path}: is not a regular file, FIFO or character device; refusing to write to it"
        )
    real = _in_existing_folder(path)
    for name in inputs if status is not None else ():
        if name != STDIN and _reads(name, real, status):
            raise OutputError(
                f"-o {path}: is also an input ({name}); writing it would "
                f"destroy what is being scored"
            )


def _check_new_folder(path: str, inputs: Sequence[str], status: os.stat_result | None) -> None:
    """The folder-output refusals of `check_output` (the input checks first: they say more)."""
    real = os.path.realpath(path)
    for name in inputs:
        if name == STDIN:
            continue
        if status is not None and _same_file(name, status):
            raise OutputError(
                f"-o {path}: is also an input ({name}); writing it would "
                f"destroy what is being scored"
            )
        if os.path.isdir(name) and _inside(real, name):
            raise OutputError(
                f"-o {path}: is inside the input folder {name}; its part files would be "
                "read as inputs (choose an output outside the input folders)"
            )
    if status is not None or os.path.lexists(path):
        raise OutputError(
            f"-o {path}: already exists ({_kind(status)}); the cluster engines write a new "
            "folder of part files and never replace anything (remove it or choose another -o)"
        )
    _in_existing_folder(path)


def _kind(status: os.stat_result | None) -> str:
    """What an existing path is, for messages (None: a link to nothing)."""
    if status is None:
        return "a dangling link"
    if stat.S_ISDIR(status.st_mode):
        return "a folder"
    if stat.S_ISREG(status.st_mode):
        return "a regular file"
    return "a FIFO, device or socket"


def _in_existing_folder(path: str) -> str:
    """The real path of `path`, refusing one whose folder does not exist."""
    real = os.path.realpath(path)
    if not os.path.isdir(os.path.dirname(real)):
        raise OutputError(f"-o {path}: the folder {os.path.dirname(real)} does not exist")
    return real


def _status(path: str) -> os.stat_result | None:
    """What `path` is (symlinks followed); None if nothing is there yet."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"-o {path}: {exc.strerror or exc}") from None


def _is_stream(mode: int) -> bool:
    """A FIFO or character device: written into as a stream, never replaced."""
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _reads(name: str, real: str, status: os.stat_result) -> bool:
    """Whether input `name` is, or (a folder) would read, the existing file `real`."""
    if os.path.isdir(name):
        return _inside(real, name) and kind_of(Path(real)) is not None
    return _same_file(name, status)


def _same_file(name: str, status: os.stat_result) -> bool:
    """Whether `name` is the file or folder whose status is `status` (links followed)."""
    try:
        mine = os.stat(name)
    except (OSError, ValueError):
        return False
    return (mine.st_dev, mine.st_ino) == (status.st_dev, status.st_ino)


def _inside(real: str, folder: str) -> bool:
    """Whether the real path `real` is the folder `folder` or lies below it."""
    try:
        top = os.path.realpath(folder)
        return os.path.commonpath([top, real]) == top
    except ValueError:
        return False


@contextlib.contextmanager
def output_stream(path: str | Path | None) -> Iterator[IO[str]]:
    """stdout; the FIFO or character device at `path`, written into; or a hidden temporary
    file next to the regular file `path` (symlinks followed) that replaces it only on success.

    On any exception (KeyboardInterrupt included) the temporary file is removed and an
    existing file at `path` is left untouched. A temporary file left by a killed run (its
    name holds the process id) is removed by the next run writing the same file.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        streamed = _is_stream(os.stat(path).st_mode)
    except OSError:
        streamed = False
    if streamed:  # opened by the name given: /dev/stdout may resolve to no real path
        with open(path, "w", encoding="utf-8", newline="") as stream:
            yield stream
        return
    target = Path(os.path.realpath(path))
    remove_stale_parts(target)
    fd, temp = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent
    )
    try:
        os.chmod(temp, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def remove_stale_parts(target: Path) -> list[Path]:
    """Delete the temporary files of `target` whose run is gone (killed with SIGKILL)."""
    removed = []
    for part in target.parent.glob(f".{glob.escape(target.name)}.*.part"):
        pid = part.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
                removed.append(part)
    return removed


def _alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    """The process umask (mkstemp creates files 0600; the output should get normal modes)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
