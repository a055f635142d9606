from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from patients import reevaluation
        from tracker.config import checks  # noqa: F401  (registers the system checks)
        from tracker.monitoring.store import reevaluate
        from tracker.web.middleware import session_touched_at_login

        # The one entry point from a write in ``patients`` to monitoring.
        reevaluation.register(reevaluate)
        user_logged_in.connect(session_touched_at_login, dispatch_uid="isotrack-session-touched")
