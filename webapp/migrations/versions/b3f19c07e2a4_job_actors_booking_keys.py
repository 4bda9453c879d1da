"""Put-away runs name who asked for them; shipments keep their carrier booking key.

Revision ID: b3f19c07e2a4
Revises: aa48eb82d5f2
Create Date: 2026-11-29 00:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b3f19c07e2a4"
down_revision = "aa48eb82d5f2"
branch_labels = None
depends_on = None


def upgrade():
    """Add putaway_run.requested_by_id and shipment.booking_key."""
    with op.batch_alter_table("putaway_run") as batch:
        batch.add_column(sa.Column("requested_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_putaway_run_requested_by_id_user", "user", ["requested_by_id"],
                                 ["id"])
    with op.batch_alter_table("shipment") as batch:
        batch.add_column(sa.Column("booking_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_shipment_booking_key", ["booking_key"])


def downgrade():
    """Drop them again."""
    with op.batch_alter_table("shipment") as batch:
        batch.drop_constraint("uq_shipment_booking_key", type_="unique")
        batch.drop_column("booking_key")
    with op.batch_alter_table("putaway_run") as batch:
        batch.drop_constraint("fk_putaway_run_requested_by_id_user", type_="foreignkey")
        batch.drop_column("requested_by_id")
