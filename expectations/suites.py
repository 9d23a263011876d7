"""Which suite guards which published table (suites are built lazily: GX imports are slow)."""
from collections.abc import Callable


def _sickness(name: str) -> Callable[[], list]:
    def build() -> list:
        from . import sickness
        return getattr(sickness, name)()
    return build


SUITES: dict[str, Callable[[], list]] = {
    "ics_sickness_monthly": _sickness("ics_sickness_monthly"),
}
