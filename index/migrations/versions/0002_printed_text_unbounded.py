"""Text printed in the documents has no length limit: file names, department, region and unit names,
row codes, column headers and units become TEXT. PostgreSQL enforces VARCHAR(n) (a 201-character column
header refused the whole document there); SQLite never did, so nothing changes on SQLite.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WIDENED = {
    "documents": {"file_name": 512, "department": 200, "region": 100, "unit": 200},
    "doc_tables": {"unit": 10},
    "facts": {"row_code": 16, "column_leaf": 200, "unit": 10},
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in WIDENED.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in WIDENED.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
