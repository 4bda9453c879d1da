"""supervisor's console: pick list priority, product reorder point, KPI indexes

Revision ID: b3c9d0e1f2a4
Revises: ccf4e238ae04
Create Date: 2026-11-28 20:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3c9d0e1f2a4'
down_revision = 'ccf4e238ae04'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pick_list') as batch:
        batch.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('product') as batch:
        batch.add_column(sa.Column('reorder_point', sa.Integer(), nullable=True))
    # The KPIs read facts by time: finished tasks, scans and order events of a period.
    op.create_index('ix_pick_task_done_at', 'pick_task', ['done_at'])
    op.create_index('ix_scan_record_action_time', 'scan_record', ['action', 'server_time'])
    op.create_index('ix_scan_record_pick_list_id', 'scan_record', ['pick_list_id'])
    op.create_index('ix_order_event_to_status_created', 'order_event', ['to_status', 'created_at'])
    # The hourly roll-up of picking facts (webapp/supervision/rollup.py).
    op.create_table('kpi_hour',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('zone', sa.String(length=16), nullable=False),
    sa.Column('lines_done', sa.Integer(), nullable=False),
    sa.Column('lines_short', sa.Integer(), nullable=False),
    sa.Column('scans', sa.Integer(), nullable=False),
    sa.Column('wrong_scans', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hour', 'user_id', 'zone', name='uq_kpi_hour'))
    op.create_index('ix_kpi_hour_hour', 'kpi_hour', ['hour'])
    op.create_table('kpi_rollup',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('rolled_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name'))


def downgrade():
    op.drop_table('kpi_rollup')
    op.drop_index('ix_kpi_hour_hour', table_name='kpi_hour')
    op.drop_table('kpi_hour')
    op.drop_index('ix_order_event_to_status_created', table_name='order_event')
    op.drop_index('ix_scan_record_pick_list_id', table_name='scan_record')
    op.drop_index('ix_scan_record_action_time', table_name='scan_record')
    op.drop_index('ix_pick_task_done_at', table_name='pick_task')
    with op.batch_alter_table('product') as batch:
        batch.drop_column('reorder_point')
    with op.batch_alter_table('pick_list') as batch:
        batch.drop_column('priority')
