"""the stock ledger is append-only and hash-chained

Revision ID: d5e8a2b4c6f1
Revises: b3c9d0e1f2a4
Create Date: 2026-11-28 21:20:00

Each ledger line is sealed into a hash chain (webapp/audit/chain.py) and the
ledger check verifies it. On PostgreSQL a trigger refuses UPDATE and DELETE on the
ledger, except the one update sealing makes: the chain columns of a line not
sealed yet. (TRUNCATE, a privilege of the table's owner, is not a row change and
stays possible: the test suite empties its tables with it.)
"""
from alembic import op
import sqlalchemy as sa


revision = 'd5e8a2b4c6f1'
down_revision = 'b3c9d0e1f2a4'
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION wh_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.row_hash IS NULL
     AND (to_jsonb(NEW) - 'seal_seq' - 'prev_hash' - 'row_hash')
         = (to_jsonb(OLD) - 'seal_seq' - 'prev_hash' - 'row_hash') THEN
    RETURN NEW;  -- sealing a line: only its chain columns, only once
  END IF;
  RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'WH001';
END
$$ LANGUAGE plpgsql;
"""


def upgrade():
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_stock_movement_seal_seq', ['seal_seq'])
    with op.batch_alter_table('reconciliation_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_sealed', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_checked', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_error', sa.Text(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)
        op.execute("CREATE TRIGGER stock_movement_append_only BEFORE UPDATE OR DELETE "
                   "ON stock_movement FOR EACH ROW EXECUTE FUNCTION wh_append_only()")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS stock_movement_append_only ON stock_movement")
    with op.batch_alter_table('reconciliation_run', schema=None) as batch_op:
        batch_op.drop_column('chain_error')
        batch_op.drop_column('chain_checked')
        batch_op.drop_column('chain_sealed')
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_constraint('uq_stock_movement_seal_seq', type_='unique')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seal_seq')
