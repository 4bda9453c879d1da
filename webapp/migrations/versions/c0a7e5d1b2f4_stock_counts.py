"""stock counts (盘点): plans, tasks, lines; a product's unit cost

Revision ID: c0a7e5d1b2f4
Revises: 3b7e1c9d0a52
Create Date: 2026-11-29 00:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c0a7e5d1b2f4'
down_revision = '3b7e1c9d0a52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_cost_cents', sa.Integer(), nullable=True))
    op.create_table(
        'count_plan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('params_json', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('job_id', sa.String(length=64), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('tasks_made', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'],
                                name=op.f('fk_count_plan_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_count_plan')),
    )
    with op.batch_alter_table('count_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_count_plan_job_id'), ['job_id'], unique=False)
    op.create_table(
        'count_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('source', sa.String(length=128), nullable=True),
        sa.Column('recount_of_id', sa.Integer(), nullable=True),
        sa.Column('not_by_id', sa.Integer(), nullable=True),
        sa.Column('counter_id', sa.Integer(), nullable=True),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['plan_id'], ['count_plan.id'],
                                name=op.f('fk_count_task_plan_id_count_plan')),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'],
                                name=op.f('fk_count_task_location_id_location')),
        sa.ForeignKeyConstraint(['recount_of_id'], ['count_task.id'],
                                name=op.f('fk_count_task_recount_of_id_count_task')),
        sa.ForeignKeyConstraint(['not_by_id'], ['user.id'],
                                name=op.f('fk_count_task_not_by_id_user')),
        sa.ForeignKeyConstraint(['counter_id'], ['user.id'],
                                name=op.f('fk_count_task_counter_id_user')),
        sa.ForeignKeyConstraint(['device_id'], ['device.id'],
                                name=op.f('fk_count_task_device_id_device')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_count_task')),
    )
    with op.batch_alter_table('count_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_count_task_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index('ix_count_task_location_status', ['location_id', 'status'],
                              unique=False)
    op.create_table(
        'count_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('counted_qty', sa.Integer(), nullable=False),
        sa.Column('book_qty', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('movement_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['task_id'], ['count_task.id'],
                                name=op.f('fk_count_line_task_id_count_task')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'],
                                name=op.f('fk_count_line_product_id_product')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'],
                                name=op.f('fk_count_line_decided_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_count_line')),
    )
    with op.batch_alter_table('count_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_count_line_task_id'), ['task_id'], unique=False)


def downgrade():
    op.drop_table('count_line')
    op.drop_table('count_task')
    op.drop_table('count_plan')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('unit_cost_cents')
