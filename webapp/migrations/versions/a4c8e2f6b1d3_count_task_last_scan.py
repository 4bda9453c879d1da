"""counts: a count task's last scan, so a supervisor can see a claim left idle

Revision ID: a4c8e2f6b1d3
Revises: f3b8d2a61c47
Create Date: 2026-11-29 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c8e2f6b1d3'
down_revision = 'f3b8d2a61c47'
branch_labels = None
depends_on = None


def upgrade():
    # Online scans leave no scan record (only synced ones do): the task keeps the time
    # of its last accepted scan itself (webapp/counts/claims.py reads it).
    with op.batch_alter_table('count_task') as batch:
        batch.add_column(sa.Column('last_scan_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('count_task') as batch:
        batch.drop_column('last_scan_at')
