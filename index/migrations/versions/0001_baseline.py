"""The store as budgetqa wrote it before migrations (documents, doc_tables, facts, passages, sections,
findings).

Revision ID: 0001
Revises:
"""

from alembic import op

from index.migrations import baseline

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    baseline.metadata.create_all(op.get_bind())


def downgrade() -> None:
    baseline.metadata.drop_all(op.get_bind())
