"""scan records name any flow's subject: subject_id, line_id, payload

Revision ID: a1f3c9d20b7e
Revises: e7d1cb101315
Create Date: 2026-11-28 20:40:00

The sync API stores scans of every domain (receiving, handoff, returns, counts)
through one registry of scan actions; these columns let a scan name its receipt,
manifest or count and carry its extras without a column per domain.
"""
from alembic import op
import sqlalchemy as sa


revision = 'a1f3c9d20b7e'
down_revision = 'e7d1cb101315'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scan_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('line_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.create_index('ix_scan_record_action_subject', ['action', 'subject_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('scan_record', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_record_action_subject')
        batch_op.drop_column('payload')
        batch_op.drop_column('line_id')
        batch_op.drop_column('subject_id')
