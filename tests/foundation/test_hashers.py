"""Logins in a burst: Argon2id keeps Django's (OWASP-level) parameters, but at most WIR_ARGON2_CONCURRENCY hashes
run at once per process, so a burst of logins cannot take 100 MiB each at the same time (issue 18)."""

import threading
import time

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

from wir_portal import hashers
from wir_portal.hashers import BoundedArgon2PasswordHasher


def test_parameters_and_stored_hashes_are_djangos():
    ours, django = BoundedArgon2PasswordHasher(), Argon2PasswordHasher()
    assert ours.algorithm == django.algorithm == "argon2"
    assert (ours.time_cost, ours.memory_cost, ours.parallelism) == (django.time_cost, django.memory_cost,
                                                                     django.parallelism)
    assert ours.memory_cost >= 19 * 1024 and ours.time_cost >= 2  # at least OWASP's Argon2id minimum
    encoded = django.encode("wir-demo-2026", django.salt())
    assert ours.verify("wir-demo-2026", encoded) and not ours.verify("falsch", encoded)
    assert ours.encode("x" * 10, ours.salt()).startswith("argon2$argon2id$")


def test_settings_use_the_bounded_hasher(settings):
    from wir_portal import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "wir_portal.hashers.BoundedArgon2PasswordHasher" or \
        project_settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test mode
    settings.PASSWORD_HASHERS = ["wir_portal.hashers.BoundedArgon2PasswordHasher"]
    encoded = make_password("wir-demo-2026")
    assert encoded.startswith("argon2$argon2id$") and check_password("wir-demo-2026", encoded)


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_burst_of_logins_hashes_at_most_n_at_once(monkeypatch, concurrency):
    monkeypatch.setattr(hashers, "_slots", threading.BoundedSemaphore(concurrency))
    running, peak, lock = [0], [0], threading.Lock()

    def slow_verify(self, password, encoded):  # stands in for argon2: records how many run at once
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return True

    monkeypatch.setattr(Argon2PasswordHasher, "verify", slow_verify)
    hasher = BoundedArgon2PasswordHasher()
    barrier = threading.Barrier(20)

    def login():
        barrier.wait()
        assert hasher.verify("pw", "argon2$...")

    threads = [threading.Thread(target=login) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == concurrency
