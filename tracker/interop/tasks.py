"""Background work of the interop layer: a task takes ids and is idempotent."""

from __future__ import annotations

from django.tasks import task

from tracker.interop import services


@task
def process_inbound_message(message_id: int) -> None:
    """Match and file (or queue) the results of a stored message; again, it does nothing."""
    services.message_process(message_id=message_id)


def enqueue_processing(receipt: services.Receipt) -> None:
    """After the lab has been answered: process the message, unless that was done before."""
    if receipt.to_process and receipt.message_id is not None:
        process_inbound_message.enqueue(receipt.message_id)
