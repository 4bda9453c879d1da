"""device roles and sign-ins

Revision ID: b3d9e1f2a7c4
Revises: e60a050209f9
Create Date: 2026-11-28 20:45:00

Devices serve roles (their token opens only those roles' routes) and the server
keeps who signed in on each. Devices registered before this serve picker and
packer, the two kinds of work that had device screens.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d9e1f2a7c4'
down_revision = 'e60a050209f9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_role',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_device_role_device_id_device'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', 'role', name=op.f('pk_device_role'))
    )
    op.create_table('device_sign_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('signed_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_device_sign_in_device_id_device'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_device_sign_in_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_sign_in'))
    )
    op.create_index('ix_device_sign_in_device_user', 'device_sign_in', ['device_id', 'user_id'], unique=False)
    for role in ('picker', 'packer'):
        op.execute(sa.text("INSERT INTO device_role (device_id, role) "
                           "SELECT id, :role FROM device").bindparams(role=role))


def downgrade():
    op.drop_index('ix_device_sign_in_device_user', table_name='device_sign_in')
    op.drop_table('device_sign_in')
    op.drop_table('device_role')
