"""gunicorn settings, read from the working directory (the Dockerfile and compose run gunicorn in /app); options on
the command line win (the benchmark starts its own sync workers for the page measurements).

Threaded workers: a login hashes with Argon2id (Django's parameters: 100 MiB, ~0.2 s on a quiet core, seconds on a
busy one). With sync workers a burst of 20 logins takes every worker for the whole burst and other pages wait
(measured on 2 workers: 16–24 s). With gthread workers the logins queue on wir_portal.hashers' semaphore (one hash
at a time per process: memory bounded) while the other threads keep serving pages (measured: worst 0.9 s under a
load average of 14). Threads hold their own database connection (CONN_MAX_AGE): workers × threads must stay below
PostgreSQL's max_connections (100 by default) across all replicas.
"""

import os

worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
