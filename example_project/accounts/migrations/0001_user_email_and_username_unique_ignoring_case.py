"""Usernames and e-mail addresses are unique whatever their case, in the database itself.

Registration checks both before saving, but two registrations at the same moment can pass the
checks together; these unique indexes make the database refuse the second. Django's own user
model keeps usernames unique only case-sensitively and e-mail addresses not at all, so a database
that already holds such duplicates must have them merged before this migration runs.

It runs after the last migration of ``django.contrib.auth``: on SQLite an ``ALTER`` of the user
table rebuilds it from the migration state, which does not know these indexes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q
from django.db.models.functions import Lower

CONSTRAINTS = (
    models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
    models.UniqueConstraint(
        Lower("email"), condition=~Q(email=""), name="accounts_user_email_ci_unique"
    ),
)


def add_constraints(apps: Any, schema_editor: Any) -> None:
    user = apps.get_model(settings.AUTH_USER_MODEL)
    for constraint in CONSTRAINTS:
        schema_editor.add_constraint(user, constraint)


def remove_constraints(apps: Any, schema_editor: Any) -> None:
    user = apps.get_model(settings.AUTH_USER_MODEL)
    for constraint in CONSTRAINTS:
        schema_editor.remove_constraint(user, constraint)


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(add_constraints, remove_constraints, elidable=False)]
