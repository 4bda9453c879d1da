"""People, their roles, handheld devices and failed logins."""
from datetime import datetime

from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow

ROLES = ("picker", "packer", "receiver", "courier", "customer_service", "supervisor", "admin")


class User(UserMixin, db.Model):
    """A person who signs in; may hold several roles."""

    __audited__ = ("username", "display_name", "active")  # webapp/audit/trail.py

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    role_rows: Mapped[list["UserRole"]] = relationship(cascade="all, delete-orphan",
                                                       lazy="selectin")

    @property
    def roles(self):
        """The set of role names this person holds."""
        return {row.role for row in self.role_rows}

    def set_roles(self, roles):
        """Replace this person's roles with `roles` (unknown names are refused)."""
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"Unknown roles: {', '.join(sorted(unknown))}")
        self.role_rows = [UserRole(role=role) for role in sorted(set(roles))]

    def has_any_role(self, roles):
        """True when this person holds at least one of `roles`."""
        return bool(self.roles & set(roles))

    def set_password(self, password):
        """Store a salted hash, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        """Compare a password with the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):
        """Flask-Login refuses sessions of deactivated people."""
        return self.active


class UserRole(db.Model):
    """One role held by one person."""

    __audited__ = ("role",)  # webapp/audit/trail.py

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class Device(db.Model):
    """A registered handheld; its token authenticates the sync API."""

    __audited__ = ("name", "revoked_at")  # webapp/audit/trail.py

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pending_scans: Mapped[int] = mapped_column(default=0, server_default="0")

    role_rows: Mapped[list["DeviceRole"]] = relationship(cascade="all, delete-orphan",
                                                         lazy="selectin")

    @property
    def is_revoked(self):
        """A revoked device is refused by the sync API."""
        return self.revoked_at is not None

    @property
    def roles(self):
        """The roles this device serves: its token opens only their routes."""
        return {row.role for row in self.role_rows}

    def set_roles(self, roles):
        """Replace the device's roles; at least one, and only known ones."""
        roles = set(roles)
        unknown = roles - set(ROLES)
        if unknown:
            raise ValueError(_("Unknown roles: %(roles)s", roles=", ".join(sorted(unknown))))
        if not roles:
            raise ValueError(_("Choose at least one role the device serves."))
        self.role_rows = [DeviceRole(role=role) for role in sorted(roles)]


class DeviceRole(db.Model):
    """One role a device serves (a picking handheld: picker; a packing station: packer)."""

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"),
                                           primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class DeviceSignIn(db.Model):
    """A person signed in on a device: the people whose scans that device may send."""

    __table_args__ = (Index("ix_device_sign_in_device_user", "device_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    signed_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginFailure(db.Model):
    """A failed sign-in, kept to throttle guessing across all web processes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)
