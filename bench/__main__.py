"""`make bench` (python -m bench): the performance scenarios of bench/README.md.

python -m bench                      # every scenario at full size, 3 repetitions
python -m bench --quick              # a small smoke size of everything
python -m bench --scenario 2 --scenario 3 --scale 0.1 --repeat 5
python -m bench --scenario 2 --profile   # pyinstrument profile of the project's side
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from datetime import datetime

from bench.common import Options, console

SCENARIOS = {
    1: "bulk HR start",
    2: "event append",
    3: "read-model rebuild",
    4: "cohort simulation",
    5: "audit replay",
    6: "failure logs in an outage",
    7: "PostgreSQL outage under a worker",
    8: "queries and updates during a bulk start",
    9: "catalog journey-years",
    10: "OneRoster diff and HR event delivery",
    11: "web pages with 10,000 journeys",
}


def parse() -> tuple[Options, set[int]]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scenario", type=int, action="append", choices=sorted(SCENARIOS))
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("--quick", action="store_true", help="smoke size: --scale 0.01")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each measurement")
    parser.add_argument("--profile", action="store_true", help="profile the project's side")
    parser.add_argument("--cohort", type=int, help="scenario 4's cohort size (default 300)")
    parser.add_argument(
        "--way", type=int, action="append", choices=(1, 2, 3),
        help="scenario 8: only these of its three ways (1 SDK slots, 2 shipped slots on the "
        "main queue, 3 the bulk queue as apply-roster)",
    )  # fmt: skip
    args = parser.parse_args()
    scale = 0.01 if args.quick else args.scale
    if not 0 < scale <= 1:
        parser.error("--scale takes a fraction in (0, 1]")
    if args.repeat < 1:
        parser.error("--repeat takes a positive number")
    ways = tuple(sorted(set(args.way))) if args.way else None
    return Options(scale, args.repeat, args.profile, args.cohort, ways), set(
        args.scenario or SCENARIOS
    )


async def main() -> None:
    from pathways.logs import configure_logging

    configure_logging("console", os.environ.get("LOG_LEVEL", "error"))
    options, chosen = parse()
    console.print(
        f"[bold]Pathways benchmarks[/bold] {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} · "
        f"{platform.python_implementation()} {platform.python_version()} · "
        f"{os.cpu_count()} CPUs · scale {options.scale:g} · {options.repeat} repetitions"
    )
    began = time.perf_counter()
    if 1 in chosen:
        from bench import bulk_start

        await bulk_start.run(options)
    if chosen & {2, 3}:
        from bench import eventlog

        await eventlog.run(options, chosen & {2, 3})
    if 4 in chosen:
        from bench import cohort

        await cohort.run(options)
    if 5 in chosen:
        from bench import replay

        await replay.run(options)
    if 6 in chosen:
        from bench import outage_logs

        await outage_logs.run(options)
    if 7 in chosen:
        from bench import outage

        await outage.run(options)
    if 8 in chosen:
        from bench import responsive

        await responsive.run(options)
    if 9 in chosen:
        from bench import catalog_years

        await catalog_years.run(options)
    if 10 in chosen:
        from bench import oneroster

        await oneroster.run(options)
    if 11 in chosen:
        from bench import web_pages

        await web_pages.run(options)
    console.print(f"[dim]benchmarks took {time.perf_counter() - began:.0f} s[/dim]")


if __name__ == "__main__":
    asyncio.run(main())
