"""Benchmark settings for the HL7 listener: production settings, with tasks only recorded
(``DummyBackend``) so that the listener's own rate (store, commit, ACK, enqueue) is measured
alone; processing is timed separately by ``bench/hl7.py``."""

from bench.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
