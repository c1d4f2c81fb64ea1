"""A cache for computed figures (budget overview, programme reports) that is never stale.

Every figure is still computed by database aggregation; the result (data or rendered HTML) is kept in Django's
cache under a key that contains the *figures version*: one query reading

    FiguresVersion.value         raised after every commit that saved or deleted a row the figures are made of
                                 (post_save/post_delete of the models passed to `watch`, via transaction.on_commit)
    FiguresVersion.epoch         new whenever the row is (re)created (an emptied table starts a new series)
    max(id) of the ledger (and of the caller's extra models, e.g. applications)
                                 catches bulk inserts that send no signals (seed_scale, the benchmark's set-up)

The counter is raised *after* the commit, so whoever reads the new version also sees the new rows; whoever read the
old one may store newer figures under the old key, which nobody reads any more. Keys also contain the database name
and a fingerprint of the code and templates that shape the cached value (a deploy never serves the old layout).

Inside a transaction (connection.in_atomic_block) the cache is neither read nor written: the transaction may see
its own uncommitted writes, which the shared cache must not mix with. This also keeps tests that run inside one
transaction (pytest-django's `db`) on freshly computed figures.

Writes that bypass the ORM's save()/delete() and insert nothing (QuerySet.update(), raw SQL) are not seen; the
services and the admin always save() — keep it that way for the models watched here, or call `figures_changed()`.
After restoring the database from a backup the counter goes back and will meet values it had before: clear a
shared cache then (`manage.py shell -c "from django.core.cache import cache; cache.clear()"`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import F, Subquery
from django.db.models.signals import post_delete, post_save

from .models import FiguresVersion, LedgerEntry

T = TypeVar("T")
logger = logging.getLogger(__name__)
ROW_ID = 1
# Only to free memory: keys of an outdated version are never read again. Freshness comes from the version.
TIMEOUT_SECONDS = 24 * 3600


# --- The version counter ----------------------------------------------------------------------------------------


def figures_version_bump() -> None:
    """Raise the counter (runs after the commit, in autocommit: the row lock lasts one statement)."""
    if FiguresVersion.objects.filter(pk=ROW_ID).update(value=F("value") + 1):
        return
    FiguresVersion.objects.bulk_create([FiguresVersion(pk=ROW_ID, value=0)], ignore_conflicts=True)
    FiguresVersion.objects.filter(pk=ROW_ID).update(value=F("value") + 1)


def figures_changed() -> None:
    """Call after (or inside the transaction of) a write that changes figures: the counter rises after the commit.

    One pending bump per transaction is enough: a pending callback is only ever discarded together with a savepoint
    that is still open, and rolling that back undoes this write as well.
    """
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(func is figures_version_bump for _sids, func, _robust in conn.run_on_commit):
        return
    transaction.on_commit(figures_version_bump, robust=True)


def _on_change(sender, **kwargs) -> None:
    figures_changed()


_WATCHED: set[type[models.Model]] = set()


def is_watched(model: type[models.Model]) -> bool:
    """Whether saves and deletes of this model raise the figures version (for caches keyed by it)."""
    return model in _WATCHED


def watch(*model_classes: type[models.Model]) -> None:
    """Raise the figures version after every committed save or delete of these models (call in AppConfig.ready)."""
    for model in model_classes:
        _WATCHED.add(model)
        uid = f"figures-version-{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}-save", weak=False)
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}-delete", weak=False)


@lru_cache(maxsize=8)
def _version_sql(extra_models: tuple[type[models.Model], ...]) -> tuple[str, tuple]:
    """The version query, compiled once per process (building it through the ORM costs more than running it)."""
    latest = {f"max_{i}": Subquery(model._base_manager.order_by("-pk").values("pk")[:1])
              for i, model in enumerate((LedgerEntry, *extra_models))}
    qs = FiguresVersion.objects.filter(pk=ROW_ID).annotate(**latest).values_list("epoch", "value", *latest)
    return qs.order_by()[:1].query.sql_with_params()


def figures_version(*, extra_models: Iterable[type[models.Model]] = ()) -> tuple | None:
    """The current version in one query, or None if the counter row is missing (then nothing is cached)."""
    sql, params = _version_sql(tuple(extra_models))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        FiguresVersion.objects.bulk_create([FiguresVersion(pk=ROW_ID, value=0)], ignore_conflicts=True)
        return None
    return tuple(v or 0 for v in row)


# --- The cache ----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def code_fingerprint(paths: tuple[str, ...]) -> str:
    """A hash of the files (relative to BASE_DIR) that shape a cached value: changes with every deploy that
    changes them. Computed once per process."""
    digest = hashlib.sha256()
    for name in paths:
        path = Path(settings.BASE_DIR) / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and file.suffix in {".py", ".html"}:
                digest.update(str(file.relative_to(settings.BASE_DIR)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


class FiguresCache:
    """Figures of one request: read the version once, then get or compute any number of values under it.

        figures = FiguresCache.current("reports", sources=(...), extra_models=(Application,))
        choices = figures.get_or_compute(("choices",), filter_choices)
    """

    def __init__(self, prefix: str | None):
        self.prefix = prefix  # None: compute every value, cache nothing

    @classmethod
    def current(cls, namespace: str, *, sources: tuple[str, ...],
                extra_models: Iterable[type[models.Model]] = ()) -> FiguresCache:
        if connection.in_atomic_block:
            return cls(None)
        version = figures_version(extra_models=extra_models)
        if version is None:
            return cls(None)
        database = hashlib.sha256(str(settings.DATABASES["default"]["NAME"]).encode()).hexdigest()[:8]
        return cls(f"figures:{namespace}:{database}:{code_fingerprint(sources)}:{'.'.join(map(str, version))}")

    @property
    def enabled(self) -> bool:
        return self.prefix is not None

    def key(self, parts: tuple) -> str:
        return f"{self.prefix}:{hashlib.sha256(repr(parts).encode()).hexdigest()[:24]}"

    def get_or_compute(self, parts: tuple, compute: Callable[[], T]) -> T:
        if self.prefix is None:
            return compute()
        key = self.key(parts)
        try:
            value = cache.get(key)
        except Exception:  # an unreachable cache server costs speed, never the page
            logger.exception("figures cache: get failed")
            return compute()
        if value is None:
            value = compute()
            try:
                cache.set(key, value, TIMEOUT_SECONDS)
            except Exception:
                logger.exception("figures cache: set failed")
        return value
