"""The MLLP listener: each framed message is stored (committed) and then answered with its
ACK; processing is enqueued after the answer.

Framing (MLLP): ``<VT> message <FS><CR>``. Bytes before the start block are skipped and the
message after them is read; a block with no start block at all is answered AR. A message larger
than ``MAX_MESSAGE_BYTES`` is answered AR and the connection closed. A connection silent for
``idle_seconds`` is closed. Connections are served at once, each in order; the database work
of all of them runs in one thread.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections
from hl7.mllp import start_hl7_server

from tracker.interop import hl7v2, services, tasks
from tracker.interop.models import Transport

log = logging.getLogger(__name__)

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\r"
MAX_MESSAGE_BYTES = 1024 * 1024
IDLE_SECONDS = 300


def _receive(data: bytes) -> tuple[bytes, services.Receipt]:
    """Store one framed message and return the ACK to send (runs in a worker thread)."""
    close_old_connections()
    text = hl7v2.decode(data)
    try:
        receipt = services.receive_hl7(text=text, transport=Transport.MLLP)
    except Exception:
        # A server error: nothing was stored, so the lab must send it again.
        log.exception("HL7 message could not be stored")
        receipt = services.Receipt("AE", "isotrack could not store the message: send it again.")
    if receipt.code != "AA":
        log.warning("HL7 message answered %s: %s", receipt.code, receipt.reason)
    return hl7v2.ack(text, receipt.code, receipt.reason).encode("utf-8"), receipt


def _after_answer(receipt: services.Receipt) -> None:
    close_old_connections()
    try:
        tasks.enqueue_processing(receipt)
    except Exception:
        # The message is stored; a later run of ``process_inbound`` picks it up.
        log.exception("Processing of HL7 message %s could not be enqueued", receipt.message_id)


# Database work runs in one thread, in order, on one connection (closed when serving stops).
receive = sync_to_async(_receive)
after_answer = sync_to_async(_after_answer)
close_connections = sync_to_async(connections.close_all)


async def _serve(reader, writer, idle_seconds: float) -> None:
    try:
        while True:
            try:
                block = await asyncio.wait_for(reader.readuntil(END_BLOCK), idle_seconds)
            except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                return  # the sender closed, went silent, or dropped the connection
            except asyncio.LimitOverrunError:
                too_long = f"The message is longer than {MAX_MESSAGE_BYTES} bytes."
                writer.writeblock(hl7v2.ack("", "AR", too_long).encode("utf-8"))
                await writer.drain()
                return
            start = block.rfind(START_BLOCK)
            if start < 0:
                no_start = "MLLP framing: the block has no start character (VT)."
                writer.writeblock(hl7v2.ack("", "AR", no_start).encode("utf-8"))
                await writer.drain()
                continue
            answer, receipt = await receive(block[start + 1 : -len(END_BLOCK)])
            writer.writeblock(answer)
            await writer.drain()
            await after_answer(receipt)
    except ConnectionError:
        return
    finally:
        writer.close()


async def start(host: str, port: int, *, idle_seconds: float = IDLE_SECONDS):
    """Start listening; returns the asyncio server (its sockets give the port)."""

    async def handle(reader, writer):
        await _serve(reader, writer, idle_seconds)

    return await start_hl7_server(handle, host, port, limit=MAX_MESSAGE_BYTES)


async def serve_forever(host: str, port: int, *, idle_seconds: float = IDLE_SECONDS) -> None:
    server = await start(host, port, idle_seconds=idle_seconds)
    try:
        async with server:
            await server.serve_forever()
    finally:
        await close_connections()
