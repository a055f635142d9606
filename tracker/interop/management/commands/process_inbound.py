"""Process every stored message not processed yet (after an outage of the task queue)."""

from django.core.management.base import BaseCommand

from tracker.interop import services
from tracker.interop.models import InboundMessage, MessageStatus


class Command(BaseCommand):
    help = "Process received lab messages that have not been processed yet."

    def handle(self, *args, **options):
        ids = InboundMessage.objects.filter(status=MessageStatus.RECEIVED).values_list(
            "pk", flat=True
        )
        count = 0
        for message_id in ids.order_by("pk").iterator():
            services.message_process(message_id=message_id)
            count += 1
        self.stdout.write(f"{count} message(s) processed.")
