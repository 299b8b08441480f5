#!/usr/bin/env python3
"""Oracles for carecron's Vietnamese lunar calendar. For every civil day from FIRST to LAST
(arguments, YYYY-MM-DD) prints one line:
    YYYY-MM-DD <table> <astro>
where <table> is the published calendar (vnlunar's copy of Hồ Ngọc Đức's tables TK19–TK22, as the
calendars printed in Vietnam give it: China's UTC+8 calendar before 1968) and <astro> is lunar-vn's
own astronomical computation at UTC+7; each is "day/month/year/leap" (leap 0 or 1)."""
import datetime
import sys

from lunar_vn import solar_to_lunar
from vnlunar.core import get_lunar_date_from_table

first, last = (datetime.date.fromisoformat(a) for a in sys.argv[1:3])
out = []
d = first
while d <= last:
    t = get_lunar_date_from_table(d.day, d.month, d.year)
    a = solar_to_lunar(d, 7.0)
    out.append(f"{d.isoformat()} {t['day']}/{t['month']}/{t['year']}/{int(bool(t['leap']))} "
               f"{a.day}/{a.month}/{a.year}/{int(bool(a.leap))}")
    d += datetime.timedelta(days=1)
print("\n".join(out))
