"""File-level import errors: the file as a whole cannot be imported, and nothing was written.

Row-level problems are not errors but rejections in the report (``gateway.importing.report``).
"""

from __future__ import annotations

from gateway.errors import GatewayError


class ImportFileError(GatewayError):
    """Root of the errors that stop an import before any row is written."""

    code = "IMPORT_FILE_ERROR"


class FileUnreadable(ImportFileError):
    """The file does not exist or cannot be read."""

    code = "IMPORT_FILE_UNREADABLE"


class UnknownFormat(ImportFileError):
    """Neither the name nor the content tells JSON Lines from CSV."""

    code = "IMPORT_UNKNOWN_FORMAT"


class BadEncoding(ImportFileError):
    """The bytes are not text in an encoding the format allows."""

    code = "IMPORT_BAD_ENCODING"


class UnknownLayout(ImportFileError):
    """The CSV header row matches no double-publicity layout."""

    code = "IMPORT_UNKNOWN_LAYOUT"


class MalformedCsv(ImportFileError):
    """The CSV cannot be split into rows (a field past the size limit, usually from a stray quote)."""

    code = "IMPORT_MALFORMED_CSV"


class MissingColumns(ImportFileError):
    """The header row lacks columns the layout requires; ``columns`` names them."""

    code = "IMPORT_MISSING_COLUMNS"

    def __init__(self, layout_title: str, columns: list[str]) -> None:
        super().__init__(f"the {layout_title} header lacks required columns: {', '.join(columns)}")
        self.columns = columns


class DatabaseUnavailable(GatewayError):
    """The connection to the database was lost mid-import. Batches committed before it stay; the
    import is idempotent, so running it again finishes the job."""

    code = "IMPORT_DATABASE_UNAVAILABLE"
