"""returns: order lines' unit price, a return's computed refund due

Revision ID: f3b8d2a61c47
Revises: c2e5a9d17b03
Create Date: 2026-11-29 01:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b8d2a61c47'
down_revision = 'c2e5a9d17b03'
branch_labels = None
depends_on = None


def upgrade():
    # What the customer paid a unit, in cents, when the channel sends it.
    with op.batch_alter_table('order_line') as batch:
        batch.add_column(sa.Column('unit_price_cents', sa.Integer(), nullable=True))
    # The amount an inspected refund-type return is due (webapp/returns/resolution.py).
    with op.batch_alter_table('return_request') as batch:
        batch.add_column(sa.Column('refund_due', sa.Numeric(precision=12, scale=2),
                                   nullable=True))


def downgrade():
    with op.batch_alter_table('return_request') as batch:
        batch.drop_column('refund_due')
    with op.batch_alter_table('order_line') as batch:
        batch.drop_column('unit_price_cents')
