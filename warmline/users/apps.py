from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Staff users (reps, managers, marketers, agents, admins) and teams."""

    name = "warmline.users"
    label = "users"
    verbose_name = "Staff and teams"
