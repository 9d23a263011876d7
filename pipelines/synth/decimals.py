"""Exact decimal text for quantities held as integers (polars float division is not exact to the last digit)."""
from __future__ import annotations

import polars as pl


def decimal(column: str | pl.Expr, places: int) -> pl.Expr:
    """An integer count of 10^-places units as decimal text with trailing zeros trimmed: 529.2, 1539.0, 0.53333.

    This is how the published CSVs print FTE days, rates and FTE (the shortest form, at least one decimal).
    """
    col = pl.col(column) if isinstance(column, str) else column
    unit = 10**places
    frac = (col % unit).cast(pl.String).str.zfill(places).str.strip_chars_end("0")
    return pl.concat_str((col // unit).cast(pl.String), pl.lit("."),
                         pl.when(frac == "").then(pl.lit("0")).otherwise(frac))


def half_up_ratio(numerator: str, denominator: str, places: int) -> pl.Expr:
    """numerator / denominator x 100 rounded half up to `places` dp, as an integer count of 10^-places."""
    scale = 100 * 10**places
    return (pl.col(numerator) * 2 * scale + pl.col(denominator)) // (2 * pl.col(denominator))
