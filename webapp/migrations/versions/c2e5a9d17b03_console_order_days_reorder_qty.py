"""console: daily order roll-up, product reorder quantity, indexes for the home's tiles

Revision ID: c2e5a9d17b03
Revises: c0a7e5d1b2f4
Create Date: 2026-11-29 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c2e5a9d17b03'
down_revision = 'c0a7e5d1b2f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product') as batch:
        batch.add_column(sa.Column('reorder_qty', sa.Integer(), nullable=True))
    # The daily roll-up of order facts (webapp/supervision/orderfacts.py).
    op.create_table('kpi_order_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('with_cutoff', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'state', 'minutes', name='uq_kpi_order_day'))
    op.create_index('ix_kpi_order_day_day', 'kpi_order_day', ['day'])
    # The home's tiles on every poll: orders per state and carrier cut-off from the
    # index alone; lists in progress or waiting without reading every list.
    op.create_index('ix_order_status_carrier_cutoff', 'order', ['status', 'carrier', 'cutoff_at'])
    op.create_index('ix_pick_list_status', 'pick_list', ['status'])


def downgrade():
    op.drop_index('ix_pick_list_status', table_name='pick_list')
    op.drop_index('ix_order_status_carrier_cutoff', table_name='order')
    op.drop_index('ix_kpi_order_day_day', table_name='kpi_order_day')
    op.drop_table('kpi_order_day')
    with op.batch_alter_table('product') as batch:
        batch.drop_column('reorder_qty')
