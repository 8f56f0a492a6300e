"""Event and object ids: the service's shape, unique, and not repeated by a forked worker."""

from __future__ import annotations

import os
import re

from realtime_sdk._generated._runtime import new_event_id, new_id

SHAPE = re.compile(r"event_[0-9A-Za-z]{22}")


def test_ids_have_the_service_shape_and_do_not_repeat() -> None:
    ids = [new_event_id() for _ in range(100_000)]
    assert all(SHAPE.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert new_id("item_").startswith("item_") and len(new_id("item_")) == 27
    # every character of the alphabet turns up, in every position
    for position in range(6, 28):
        assert len({i[position] for i in ids}) == 62


def test_a_forked_process_draws_other_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what uvicorn's workers and multiprocessing's fork do
        os.close(read)
        os.write(write, " ".join(new_event_id() for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    mine = {new_event_id() for _ in range(100)}
    with os.fdopen(read, "rb") as pipe:
        theirs = set(pipe.read().decode().split())
    os.waitpid(pid, 0)
    assert len(theirs) == 100 and not mine & theirs
