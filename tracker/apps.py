from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from tracker import checks  # noqa: F401  (registers the system checks)
        from tracker.middleware import session_touched_at_login

        user_logged_in.connect(session_touched_at_login, dispatch_uid="isotrack-session-touched")
