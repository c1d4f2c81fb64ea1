"""Argon2id with Django's parameters, and at most a few hashes at a time per process.

Argon2 is memory-hard by design: each hash takes ``memory_cost`` KiB (Django's default 102,400 KiB = 100 MiB, with
time_cost 2 and parallelism 8 — at or above OWASP's Argon2id recommendation of 19 MiB, t=2, p=1). A burst of
concurrent logins in a threaded server would take 100 MiB per login at once and could exhaust a small
deployment's memory. The parameters stay as they are (stored hashes keep verifying, the algorithm name is the same);
instead a process-wide semaphore lets at most ``WIR_ARGON2_CONCURRENCY`` (default 1) hashes run at a time, so a
worker's extra memory for logins is bounded by concurrency × memory_cost, whatever the burst. With sync workers
(one request per process) the semaphore never waits; with threaded workers the waiting logins queue here while
argon2 (which releases the GIL) runs, and other pages keep being served by the other threads.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

from django.contrib.auth.hashers import Argon2PasswordHasher

CONCURRENCY = max(1, int(os.environ.get("WIR_ARGON2_CONCURRENCY", "1")))
_slots = threading.BoundedSemaphore(CONCURRENCY)


@contextmanager
def _slot():
    with _slots:
        yield


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2PasswordHasher (same algorithm name and parameters), limited to CONCURRENCY hashes at once."""

    def encode(self, password, salt):
        with _slot():
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with _slot():
            return super().verify(password, encoded)
