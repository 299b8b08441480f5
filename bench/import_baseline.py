#!/usr/bin/env python3
"""The yardstick for `carecron import` (issue 14): a plain Python script, standard library only
(csv, sqlite3, unicodedata, datetime), doing the same normalisation of names, phones, emails,
birthdays, genders, amounts and times, the same upsert by id with an "unchanged" count, the same
check for a repeated id and an unknown customer, one transaction per file, into the same store.

    python3 bench/import_baseline.py STORE.sqlite customers.csv orders.csv

`carecron bench import` runs it on a copy of an empty store beside `carecron import`.
"""
import csv, datetime, re, sqlite3, sys, time, unicodedata

PREFIXES_2018 = {"0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
                 "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
                 "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
                 "0167": "037", "0168": "038", "0169": "039", "0186": "056", "0188": "058", "0199": "059"}
GENDERS = {"female": "female", "f": "female", "nữ": "female", "nu": "female", "woman": "female",
           "male": "male", "m": "male", "nam": "male", "man": "male",
           "": "unknown", "unknown": "unknown", "other": "unknown", "khác": "unknown"}
EMAIL = re.compile(r"[^@\s]+@[^@\s.][^@\s]*\.[^@\s]*[^@\s.]")


def phone(raw):
    text = raw.strip(" \t\u00a0")
    digits = ""
    for i, ch in enumerate(text):
        if ch.isascii() and ch.isdigit(): digits += ch
        elif ch == "+" and i == 0: continue
        elif ch in " .-()": continue
        else: raise ValueError(f'"{raw}" is not a phone number')
    if text.startswith("+") or (digits.startswith("84") and len(digits) >= 11):
        if not digits.startswith("84"): raise ValueError("unknown prefix")
        national = "0" + digits[2:]
    else:
        national = digits if digits.startswith("0") else "0" + digits
    if len(national) == 11 and national.startswith("01"):
        if national[:4] not in PREFIXES_2018: raise ValueError("unknown prefix")
        national = PREFIXES_2018[national[:4]] + national[-7:]
    second = national[1:2]
    if second in ("3", "5", "7", "8", "9"):
        if len(national) != 10: raise ValueError("wrong length")
    elif second == "2":
        if len(national) != 11: raise ValueError("wrong length")
    else: raise ValueError("unknown prefix")
    return "+84" + national[1:]


def birthday(raw):
    if raw.startswith("--"):
        d = datetime.date.fromisoformat("2000" + raw[1:])
        return "--" + raw[2:], raw[2:]
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw)
    d = datetime.date(int(m[3]), int(m[2]), int(m[1])) if m else datetime.date.fromisoformat(raw)
    if d.year < 1900: raise ValueError("before 1900")
    return d.isoformat(), d.isoformat()[5:]


def nonempty(v):
    v = (v or "").strip(" \t\u00a0")
    return v or None


def instant(v, required):
    v = nonempty(v)
    if v is None:
        if required: raise ValueError("is empty")
        return None
    d = datetime.datetime.fromisoformat(v)
    if d.tzinfo is None: d = d.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
    return int(d.timestamp())


def customer(f):
    name = unicodedata.normalize("NFC", " ".join(f["full_name"].split()))
    if not name: raise ValueError("full_name is empty")
    gender = GENDERS[unicodedata.normalize("NFC", f.get("gender", "").strip().lower())]
    p = phone(f["phone"]) if nonempty(f.get("phone")) else None
    e = nonempty(f.get("email"))
    if e:
        e = e.lower()
        if not EMAIL.fullmatch(e): raise ValueError("not an email")
    b = md = None
    if nonempty(f.get("birthday")): b, md = birthday(nonempty(f["birthday"]))
    z = nonempty(f.get("zalo_user_id"))
    if z and not (z.isascii() and z.isalnum()): raise ValueError("not a Zalo id")
    tier = nonempty(f.get("tier"))
    opt = (nonempty(f.get("opt_out")) or "none").lower()
    if opt not in ("none", "marketing", "all"): raise ValueError("opt_out")
    return [name, gender, p, e, b, md, z, unicodedata.normalize("NFC", tier) if tier else None, opt]


def order(f, known):
    cid = nonempty(f["customer_id"])
    placed = instant(f["placed_at"], True)
    amount = int(nonempty(f["amount"]).replace(".", "").replace(",", ""))
    if amount < 0: raise ValueError("negative")
    method = (nonempty(f.get("payment_method")) or "prepaid").lower()
    status = (nonempty(f.get("status")) or "pending").lower()
    paid, delivered = instant(f.get("paid_at"), False), instant(f.get("delivered_at"), False)
    if paid is not None and paid < placed: raise ValueError("paid before placed")
    if delivered is not None and delivered < placed: raise ValueError("delivered before placed")
    if cid not in known: raise ValueError("unknown customer")
    items = unicodedata.normalize("NFC", f.get("items", "")).strip(" \t\u00a0")
    agent = nonempty(f.get("agent"))
    late = 1 if paid is not None and paid >= placed + 86400 else 0
    return [cid, placed, amount, method, status, paid, delivered, items, agent, late]


COLUMNS = {"customers": ["full_name", "gender", "phone", "email", "birthday", "birth_md", "zalo_user_id", "tier", "opt_out"],
           "orders": ["customer_id", "placed_at", "amount", "payment_method", "status", "paid_at", "delivered_at",
                      "items", "agent", "paid_after_expiry"]}


def load(db, table, path, normalise):
    cols = COLUMNS[table]
    insert = (f"INSERT OR IGNORE INTO {table} (id, {', '.join(cols)}, created_at, updated_at) "
              f"VALUES ({', '.join('?' * (len(cols) + 3))})")
    update = (f"UPDATE {table} SET {', '.join(c + ' = ?' for c in cols)}, updated_at = ? "
              f"WHERE id = ? AND NOT ({' AND '.join(c + ' IS ?' for c in cols)})")
    now, seen, counts = int(time.time()), set(), {"inserted": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    with open(path, newline="", encoding="utf-8") as file:
        db.execute("BEGIN")
        for row in csv.DictReader(file):
            try:
                rid = nonempty(row["id"])
                if not rid or rid in seen: raise ValueError("id")
                seen.add(rid)
                values = normalise(row)
            except (ValueError, KeyError, TypeError):
                counts["skipped"] += 1
                continue
            if db.execute(insert, [rid] + values + [now, now]).rowcount == 1: counts["inserted"] += 1
            elif db.execute(update, values + [now, rid] + values).rowcount == 1: counts["updated"] += 1
            else: counts["unchanged"] += 1
        db.execute("COMMIT")
    return counts


def main():
    store, customers_csv, orders_csv = sys.argv[1:4]
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = FULL")
    started = time.monotonic()
    print("customers:", load(db, "customers", customers_csv, customer))
    known = {r[0] for r in db.execute("SELECT id FROM customers")}
    print("orders:", load(db, "orders", orders_csv, lambda f: order(f, known)))
    print(f"seconds: {time.monotonic() - started:.3f}")


if __name__ == "__main__":
    main()
