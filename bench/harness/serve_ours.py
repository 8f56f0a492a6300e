"""`realtime-sdk serve` as the benchmarks start it, with the event loop chosen.

uvicorn takes uvloop whenever it is installed; `--loop asyncio` pins the standard loop
so one run can measure both. Every other argument goes to `realtime-sdk serve` as is.
Run: python bench/harness/serve_ours.py [--loop auto|asyncio|uvloop] serve ...
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> int:
    argv = sys.argv[1:]
    loop = "auto"
    if argv[:1] == ["--loop"]:
        loop, argv = argv[1], argv[2:]
    import uvicorn

    run = uvicorn.run

    def run_with_loop(*args: Any, **kwargs: Any) -> None:
        run(*args, **{**kwargs, "loop": loop})

    uvicorn.run = run_with_loop
    from realtime_sdk.cli import main as cli

    return cli(argv)


if __name__ == "__main__":
    sys.exit(main())
