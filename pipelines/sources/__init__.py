"""Pure readers: a landing file -> (format, typed polars frame), or RejectedFile. No Dagster here."""
from .base import ROW, Column, Format, RejectedFile
from .registry import FAMILIES, FORMATS, Extract, formats_of, read_extract, recognise

__all__ = ["ROW", "Column", "Format", "RejectedFile", "Extract", "FAMILIES", "FORMATS", "formats_of", "read_extract",
           "recognise"]
