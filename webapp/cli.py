"""Flask CLI commands: demo data and accounts."""
import click
from flask import current_app

from .extensions import db


def register(app):
    """Attach the commands to the app's CLI."""

    @app.cli.command("seed-demo")
    @click.option("--products", default=500, show_default=True)
    def seed_demo(products):
        """Seed the demo warehouse once (skipped when demo users exist)."""
        from . import demo
        if demo.already_seeded():
            click.echo("demo data already present; skipped")
            return
        counts = demo.seed(products=products, returns=True)
        db.session.commit()
        click.echo(f"seeded {counts['locations']} storage locations, "
                   f"{counts['products']} products, one user per role (password "
                   f"'{demo.DEMO_PASSWORD}')")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", "roles", multiple=True, required=True)
    @click.password_option()
    def create_user(username, roles, password):
        """Create a person with one or more --role."""
        from .accounts.services import create_user as create
        create(username, password, roles)
        db.session.commit()
        click.echo(f"created {username} ({', '.join(roles)})")

    @app.cli.command("register-device")
    @click.argument("name")
    def register_device(name):
        """Register a handheld and print its sync token once."""
        from .accounts.services import register_device as register_one
        device, token = register_one(name)
        db.session.commit()
        click.echo(f"device {device.id} {device.name}: token {token}")

    @app.cli.command("show-config")
    def show_config():
        """Print the settings that matter when running (secrets masked)."""
        for key in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "QUEUES", "DEMO_MODE"):
            click.echo(f"{key} = {current_app.config[key]}")
