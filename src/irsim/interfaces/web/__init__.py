"""The local web app: FastAPI service (app.py), profile storage (db.py, Alembic migrations), the page (static/)."""
