"""The page number each PDF page prints (table printed_pages: document, physical page, printed number) and
the box of every printed line of a passage (passages.line_boxes), so that citations show both page numbers
and outline a whole quoted passage. Documents stored before have neither until they are ingested again.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "printed_pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(32), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("printed", sa.Text, nullable=False),
    )
    op.create_index("ix_printed_pages_document_id", "printed_pages", ["document_id"])
    op.add_column("passages", sa.Column("line_boxes", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("passages", "line_boxes")
    op.drop_index("ix_printed_pages_document_id", "printed_pages")
    op.drop_table("printed_pages")
