#!/usr/bin/env python3
"""Oracle for carecron's cron arithmetic: reads JSON Lines cases {"id", "expr", "tz", "start", "count"}
(start in Unix seconds) on stdin and prints, per case, {"id", "next": [Unix seconds, ...]} from croniter."""
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter

for line in sys.stdin:
    case = json.loads(line)
    tz = ZoneInfo(case["tz"])
    start = datetime.fromtimestamp(case["start"], tz)
    try:
        it = croniter(case["expr"], start)
        out = [int(it.get_next(datetime).timestamp()) for _ in range(case["count"])]
        print(json.dumps({"id": case["id"], "next": out}))
    except Exception as e:  # reported, and the Swift side counts it as a difference
        print(json.dumps({"id": case["id"], "error": str(e)}))
