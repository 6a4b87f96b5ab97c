"""A forked check (achyk.verify.forked) closed before its answer is read: a verification cut
short (a malformed record raising in the parent) stops its children and ends."""

from __future__ import annotations

import threading
import time

from achyk.verify.forked import Forked


def test_a_child_whose_large_answer_is_not_read_is_stopped() -> None:
    job = Forked(lambda: b"x" * 10_000_000, True)  # more than a pipe holds: it waits to send
    assert job.forked
    time.sleep(0.5)  # (done computing, its answer half sent)
    closing = threading.Thread(target=job.close, daemon=True)
    closing.start()
    closing.join(30)
    assert not closing.is_alive()  # (it waited for the child, which waited to be read)
