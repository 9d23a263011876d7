"""How to serve the dashboard: the one command `wellbeing dashboard` and the browser tests both run."""
from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """streamlit run on loopback, headless, with no developer chrome (no Deploy button or menu: toolbar in
    viewer mode) and no usage statistics. The theme lives in .streamlit/config.toml beside the app; the
    toolbar flag is given here too so it holds whatever the working directory."""
    return [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.headless", "true", "--server.address", address, "--server.port", str(port),
            "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
            "--client.showErrorDetails", "false", "--server.runOnSave", "false"]


def working_directory() -> Path:
    """Run from the app's folder so Streamlit reads its .streamlit/config.toml (theme)."""
    return APP.parent
