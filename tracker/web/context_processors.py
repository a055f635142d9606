from django.conf import settings
from django.http import HttpRequest


def clinic(request: HttpRequest) -> dict:
    return {"clinic_name": settings.CLINIC_NAME}
