"""pick tasks carry a version: two scans of one task at the same instant cannot both count

Revision ID: c7d2e9f4a1b6
Revises: a4c8e2f6b1d3
Create Date: 2026-11-29 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d2e9f4a1b6'
down_revision = 'a4c8e2f6b1d3'
branch_labels = None
depends_on = None


def upgrade():
    # On PostgreSQL a scan reads its task without a lock and writes the task's new
    # progress; two scans of one task at once (a double Enter, two tabs, a sync racing
    # the screen) both wrote "1 of 2" from "0 of 2". Every write of a task now names
    # the version it read (SQLAlchemy's version_id_col; scan_batch's Core write too).
    with op.batch_alter_table('pick_task') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                   server_default='1'))


def downgrade():
    with op.batch_alter_table('pick_task') as batch:
        batch.drop_column('version')
