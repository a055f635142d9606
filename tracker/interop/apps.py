from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "tracker.interop"
    label = "interop"
    verbose_name = "Lab results received electronically"
    default_auto_field = "django.db.models.BigAutoField"
