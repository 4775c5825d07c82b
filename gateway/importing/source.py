"""Opening an import file: which format it is, which encoding, and how far reading has got.

JSON Lines must be UTF-8 (RFC 8259 requires it for JSON exchanged between systems). CSV may also be
GB18030, which agencies' office software exports by default. Both are checked over the whole file
before anything is written, so a file that is not text fails as a whole instead of half-way.
"""

from __future__ import annotations

import codecs
import io
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from gateway.importing.errors import BadEncoding, FileUnreadable, UnknownFormat

UTF8_BOM = b"\xef\xbb\xbf"
CHUNK_BYTES = 1 << 20
SAMPLE_BYTES = 64 * 1024
# Share of non-ASCII characters that must fall in GB2312 (the 7,445 common characters and symbols)
# for bytes that decode as GB18030 to count as GB18030 text. Real exports sit near 100% (a rare
# character in a name is the exception); Latin-1 or Windows-1252 text that happens to decode lands
# almost entirely outside GB2312, because an accented letter is followed by an ASCII byte.
GB2312_SHARE = 0.8


class FileFormat(StrEnum):
    AUTO = "auto"
    JSONL = "jsonl"
    CSV = "csv"


SUFFIXES = {".jsonl": FileFormat.JSONL, ".ndjson": FileFormat.JSONL, ".csv": FileFormat.CSV}


def _open_binary(path: Path) -> io.BufferedReader:
    try:
        return open(path, "rb")  # closed by the caller
    except OSError as exc:
        raise FileUnreadable(f"cannot read {path}: {exc.strerror or exc.__class__.__name__}") from None


def detect_format(path: Path, requested: FileFormat = FileFormat.AUTO) -> FileFormat:
    """The requested format, else by extension, else by content (a JSON object starts with ``{``)."""
    with _open_binary(path) as fh:
        head = fh.read(4096)
    if requested is not FileFormat.AUTO:
        return requested
    if path.suffix.lower() in SUFFIXES:
        return SUFFIXES[path.suffix.lower()]
    head = head.removeprefix(UTF8_BOM).lstrip()
    if not head:
        raise UnknownFormat(f"{path.name} is empty and its name does not say its format; pass --format")
    return FileFormat.JSONL if head.startswith(b"{") else FileFormat.CSV


def _first_bad_byte(path: Path, encoding: str) -> int | None:
    """Offset of the first byte that does not decode, or None when the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with _open_binary(path) as fh:
        while True:
            chunk = fh.read(CHUNK_BYTES)
            pending = len(decoder.getstate()[0])  # bytes of a character split across chunks
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            if not chunk:
                return None
            offset += len(chunk)


def _looks_like_gb18030(path: Path) -> bool:
    with _open_binary(path) as fh:
        sample = codecs.getincrementaldecoder("gb18030")().decode(fh.read(SAMPLE_BYTES), final=False)
    wide = [ch for ch in sample if ord(ch) > 0x7F]
    if not wide:
        return True
    common = 0
    for ch in wide:
        encoded = ch.encode("gb18030")
        common += len(encoded) == 2 and encoded[0] >= 0xA1 and encoded[1] >= 0xA1
    return common >= GB2312_SHARE * len(wide)


def detect_encoding(path: Path, *, allow_gb18030: bool) -> str:
    """``utf-8`` (with or without a BOM) or ``gb18030``."""
    bad = _first_bad_byte(path, "utf-8")
    if bad is None:
        return "utf-8"
    if not allow_gb18030:
        raise BadEncoding(f"JSON Lines files must be UTF-8; byte {bad} is not valid UTF-8")
    gb_bad = _first_bad_byte(path, "gb18030")
    if gb_bad is None and _looks_like_gb18030(path):
        return "gb18030"
    detail = f"byte {bad} is not UTF-8" + (f" and byte {gb_bad} is not GB18030" if gb_bad is not None else "")
    raise BadEncoding(f"the file is neither UTF-8 nor GB18030 text ({detail}); save it as UTF-8 and retry")


class TextSource:
    """The file as text, plus how many of its bytes have been read (for a progress bar)."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self.encoding = encoding
        self.size = path.stat().st_size
        self._binary = _open_binary(path)
        # newline="" keeps line ends as they are: the csv module needs that for quoted line breaks,
        # and it makes \n, \r\n and \r each end one line, so line numbers match any editor's.
        codec = "utf-8-sig" if encoding == "utf-8" else encoding  # utf-8-sig drops a BOM if there is one
        self.text = io.TextIOWrapper(self._binary, encoding=codec, errors="strict", newline="")

    @property
    def bytes_read(self) -> int:
        return self._binary.tell()

    def close(self) -> None:
        self.text.close()

    def __enter__(self) -> TextSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
