"""Alembic environment for the history database.

trnport runs migrations itself (see :mod:`trnport.app.history.schema`) on a connection it
has already opened and locked, passed in ``config.attributes["connection"]``; there is no
alembic.ini and no offline (SQL script) mode.
"""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("history migrations run through trnport.app.history.schema, "
                       "which passes an open connection")

context.configure(
    connection=connection,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
