"""Great Expectations suites as code, one module per table family, run as blocking Dagster checks."""
from .runner import Verdict, validate
from .suites import SUITES

__all__ = ["SUITES", "Verdict", "validate"]
