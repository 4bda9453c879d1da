"""the audit trail: append-only, hash-chained

Revision ID: f7a9c1e3b5d8
Revises: d5e8a2b4c6f1
Create Date: 2026-11-28 21:35:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'f7a9c1e3b5d8'
down_revision = 'd5e8a2b4c6f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('device_time', sa.DateTime(timezone=True), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('object_type', sa.String(length=32), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('old_values', sa.JSON(), nullable=True),
        sa.Column('new_values', sa.JSON(), nullable=True),
        sa.Column('why', sa.Text(), nullable=True),
        sa.Column('seal_seq', sa.Integer(), nullable=True),
        sa.Column('prev_hash', sa.String(length=64), nullable=True),
        sa.Column('row_hash', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_audit_entry_device_id_device')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_audit_entry_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
        sa.UniqueConstraint('seal_seq', name=op.f('uq_audit_entry_seal_seq')),
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index('ix_audit_entry_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_device_id'), ['device_id'], unique=False)
    with op.batch_alter_table('reconciliation_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_heads', sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        # wh_append_only() comes with the ledger's migration (d5e8a2b4c6f1).
        op.execute("CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE "
                   "ON audit_entry FOR EACH ROW EXECUTE FUNCTION wh_append_only()")


def downgrade():
    with op.batch_alter_table('reconciliation_run', schema=None) as batch_op:
        batch_op.drop_column('chain_heads')
    op.drop_table('audit_entry')
