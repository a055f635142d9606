"""The MLLP listener on a real socket: store, then ACK; broken framing and malformed input get
a clear AE or AR, and the listener keeps serving."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients.models import LabResult
from tests.concurrency import load_default_rules_if_missing
from tests.interop.conftest import sample
from tracker.interop import hl7v2, mllp
from tracker.interop.models import InboundMessage

VT, FS_CR = b"\x0b", b"\x1c\r"


class Listener:
    """``mllp.start`` in a thread of its own, on an ephemeral port."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(mllp.start("127.0.0.1", 0, idle_seconds=5))
        self.port = self.server.sockets[0].getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        async def shutdown():
            self.server.close()
            await self.server.wait_closed()
            await mllp.close_connections()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Client:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> str:
        while FS_CR not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        block, self.buffer = self.buffer.split(FS_CR, 1)
        assert block.startswith(VT)
        return block[1:].decode()

    def exchange(self, text: str) -> str:
        self.send(VT + text.encode() + FS_CR)
        return self.answer()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(autouse=True)
def default_rules(transactional_db) -> None:
    load_default_rules_if_missing()


@pytest.fixture(scope="module", autouse=True)
def leave_migrated_data(django_db_blocker) -> Iterator[None]:
    """Leave the database as the migrations left it, for the transactional tests after these."""
    yield
    with django_db_blocker.unblock():
        load_default_rules_if_missing()


@pytest.fixture
def listener(transactional_db):
    running = Listener()
    yield running
    running.stop()


@pytest.fixture
def client(listener):
    connected = Client(listener.port)
    yield connected
    connected.close()


def msa(answer: str) -> list[str]:
    line = next(s for s in answer.split("\r") if s.startswith("MSA"))
    return line.split("|")


def test_a_message_is_acknowledged_aa_only_once_it_is_stored(client, jane_committed):
    answer = client.exchange(sample("quest_lipids_mg_dl.hl7"))
    assert msa(answer)[1:3] == ["AA", "Q20251103153200412"]
    # Read from this thread's own connection: the listener's transaction was committed.
    assert InboundMessage.objects.filter(control_id="Q20251103153200412").exists()
    # Processing follows the answer; the connection's next answer comes after it.
    client.exchange(sample("quest_lipids_mg_dl.hl7"))
    assert LabResult.objects.filter(course__patient=jane_committed).count() == 4


def test_several_messages_on_one_connection_are_answered_in_order(client, jane_committed):
    ids = []
    for name in ("quest_lipids_mg_dl.hl7", "labcorp_liver_2_3.hl7", "quest_hcg_positive.hl7"):
        ids.append(msa(client.exchange(sample(name)))[2])
    assert ids == ["Q20251103153200412", "LC000123987", "Q20251106101000007"]


def test_the_same_message_twice_is_acknowledged_aa_and_stored_once(client):
    first = client.exchange(sample("quest_lipids_mg_dl.hl7"))
    second = client.exchange(sample("quest_lipids_mg_dl.hl7"))
    assert msa(first)[1] == msa(second)[1] == "AA"
    assert InboundMessage.objects.count() == 1


def test_unsupported_message_types_are_rejected_ar_with_the_reason(client):
    adt = sample("quest_lipids_mg_dl.hl7").replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01")
    fields = msa(client.exchange(adt))
    assert fields[1] == "AR"
    # The reason, escaped: "Message type ADT^A01 is not taken: only ORU^R01."
    assert fields[3] == "Message type ADT\\S\\A01 is not taken: only ORU\\S\\R01."
    assert not InboundMessage.objects.exists()


def test_a_message_without_a_patient_is_stored_and_answered_ae(client):
    text = sample("quest_lipids_mg_dl.hl7").replace("PID|", "ZPD|")
    fields = msa(client.exchange(text))
    assert fields[1:4] == ["AE", "Q20251103153200412", "The message has no PID segment."]
    assert InboundMessage.objects.get().ack_code == "AE"


def test_bytes_before_the_start_block_are_skipped(client):
    client.send(b"\r\nnoise" + VT + sample("quest_lipids_mg_dl.hl7").encode() + FS_CR)
    assert msa(client.answer())[1] == "AA"


def test_a_block_without_a_start_character_is_rejected_and_the_next_one_is_read(client):
    client.send(sample("labcorp_liver_2_3.hl7").encode() + FS_CR)
    assert msa(client.answer())[1] == "AR"
    assert msa(client.exchange(sample("quest_lipids_mg_dl.hl7")))[1] == "AA"


def test_a_message_split_over_many_packets_is_read_whole(client):
    data = VT + sample("quest_lipids_mg_dl.hl7").encode() + FS_CR
    for start in range(0, len(data), 7):
        client.send(data[start : start + 7])
    assert msa(client.answer())[1] == "AA"


def test_a_connection_dropped_mid_message_stores_nothing_and_others_are_served(listener):
    dropped = Client(listener.port)
    dropped.send(VT + sample("quest_lipids_mg_dl.hl7").encode()[:100])
    dropped.close()
    other = Client(listener.port)
    try:
        assert msa(other.exchange(sample("labcorp_liver_2_3.hl7")))[1] == "AA"
    finally:
        other.close()
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["LC000123987"]


def test_two_connections_at_once_are_both_served(listener):
    first, second = Client(listener.port), Client(listener.port)
    try:
        first.send(VT + sample("quest_lipids_mg_dl.hl7").encode()[:50])  # left incomplete
        assert msa(second.exchange(sample("labcorp_liver_2_3.hl7")))[1] == "AA"
        first.send(sample("quest_lipids_mg_dl.hl7").encode()[50:] + FS_CR)
        assert msa(first.answer())[1] == "AA"
    finally:
        first.close()
        second.close()


segment_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x0b\x1c"), max_size=200
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.one_of(
        segment_text,
        # A real message with one field replaced by anything.
        st.tuples(st.integers(min_value=0, max_value=40), segment_text).map(
            lambda change: _damaged(*change)
        ),
        st.binary(max_size=200).filter(lambda b: b"\x0b" not in b and b"\x1c" not in b),
    )
)
def test_malformed_input_gets_ae_or_ar_and_the_listener_keeps_serving(listener, data):
    payload = data.encode() if isinstance(data, str) else data
    conversation = Client(listener.port)
    try:
        conversation.send(VT + payload + FS_CR)
        code = hl7v2.ack_code(conversation.answer())
        assert code in {"AE", "AR", "AA"}
        if code == "AA":  # by chance still a valid message: then it was stored
            assert InboundMessage.objects.filter(ack_code="AA").exists()
        # The same connection is still served.
        assert msa(conversation.exchange(sample("labcorp_liver_2_3.hl7")))[1] == "AA"
    finally:
        conversation.close()


def _damaged(position: int, replacement: str) -> str:
    fields = sample("quest_lipids_mg_dl.hl7").split("|")
    fields[position % len(fields)] = replacement
    return "|".join(fields)
