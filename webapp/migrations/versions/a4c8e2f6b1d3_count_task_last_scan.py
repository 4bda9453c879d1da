"""counts: a count task's last scan (a claim left idle); units in pickers' carts per line

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
    # Units a half-done pick had taken from the bin when the line was counted: off the
    # shelf, still on the books until the pick ends, so no variance (variances.py).
    with op.batch_alter_table('count_line') as batch:
        batch.add_column(sa.Column('in_carts', sa.Integer(), nullable=False,
                                   server_default='0'))


def downgrade():
    with op.batch_alter_table('count_line') as batch:
        batch.drop_column('in_carts')
    with op.batch_alter_table('count_task') as batch:
        batch.drop_column('last_scan_at')
