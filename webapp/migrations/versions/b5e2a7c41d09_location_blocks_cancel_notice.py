"""location blocks (a shelf that did not match the books) and the cancel notice of a pick list

Revision ID: b5e2a7c41d09
Revises: f7a9c1e3b5d8
Create Date: 2026-11-28 20:50:00

A short pick blocks the product at its location for allocation until someone counts
it (who, when, why; who cleared it); a pick list remembers an order cancelled since
the picker's last scan, so the next scan tells the picker.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b5e2a7c41d09'
down_revision = 'f7a9c1e3b5d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'location_block',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('source', sa.String(length=128), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cleared_by_id', sa.Integer(), nullable=True),
        sa.Column('cleared_note', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'],
                                name=op.f('fk_location_block_location_id_location')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'],
                                name=op.f('fk_location_block_product_id_product')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'],
                                name=op.f('fk_location_block_created_by_id_user')),
        sa.ForeignKeyConstraint(['cleared_by_id'], ['user.id'],
                                name=op.f('fk_location_block_cleared_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_location_block')),
    )
    op.create_index('ix_location_block_active', 'location_block',
                    ['location_id', 'product_id', 'cleared_at'], unique=False)
    with op.batch_alter_table('pick_list', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_order_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_pick_list_cancelled_order_id_order', 'order',
                                    ['cancelled_order_id'], ['id'])


def downgrade():
    with op.batch_alter_table('pick_list', schema=None) as batch_op:
        batch_op.drop_constraint('fk_pick_list_cancelled_order_id_order', type_='foreignkey')
        batch_op.drop_column('cancelled_order_id')
    op.drop_index('ix_location_block_active', table_name='location_block')
    op.drop_table('location_block')
