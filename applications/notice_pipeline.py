"""Render and send a notice exactly once (claimed under a row lock). Filled in by the notices work."""

import logging

log = logging.getLogger(__name__)


def notice_run(*, notice_id: int, task=None) -> None:
    log.info("notice %s queued; rendering pipeline not yet installed", notice_id)
