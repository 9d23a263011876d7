"""The Streamlit dashboard: app.py (the entry point), views/ (its pages), queries.py (every read)."""
