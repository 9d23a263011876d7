"""turnover extracts (formats to come)."""
from .base import Format

FORMATS: tuple[Format, ...] = ()
