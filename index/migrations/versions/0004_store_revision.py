"""A revision number of the library: one row in `store_revision`, raised by the database itself whenever a
row of `documents` is inserted, changed or deleted (triggers, so every writer counts: `Store`, another
process, a hand-written UPDATE). A reader that cached the documents and the names derived from them asks
for one number per question instead of listing every document again.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BUMP = "UPDATE store_revision SET revision = revision + 1"


def upgrade() -> None:
    op.create_table("store_revision", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
                    sa.Column("revision", sa.Integer(), nullable=False))
    op.execute("INSERT INTO store_revision (id, revision) VALUES (1, 0)")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION bump_store_revision() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {_BUMP}; RETURN NULL; END $$")
        op.execute("CREATE TRIGGER documents_changed AFTER INSERT OR UPDATE OR DELETE ON documents "
                   "FOR EACH STATEMENT EXECUTE FUNCTION bump_store_revision()")
    elif dialect == "sqlite":  # one trigger per event, per row
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER documents_{event.lower()}_revision AFTER {event} ON documents "
                       f"BEGIN {_BUMP}; END")
    # another backend gets no trigger: Store.revision() says None there and nothing is cached


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER documents_changed ON documents")
        op.execute("DROP FUNCTION bump_store_revision()")
    elif dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER documents_{event}_revision")
    op.drop_table("store_revision")
