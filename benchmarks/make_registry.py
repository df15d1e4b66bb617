"""Write a valid synthetic registry for benchmarks.

    python benchmarks/make_registry.py --events 1000000 --agencies 20000 OUT.json [--seed 1]

The registry looks like a long history of the 287(g) program: agencies in every state
(more in the states that have many), the three models, ICE sheets twice a month plus
news reports and press releases as sources, aliases, windows (``not_before``), and
per-agreement lifecycles that only make legal moves (applied -> signed or withdrawn;
signed -> paused <-> resumed; corrected, moa_linked and renewals while in force;
terminated or delisted end it, after which the agency may apply again). Each agreement's
lifecycle is generated on its own, then all events are merge-sorted by date; same-day
events of one agreement keep their order.

The same seed gives the same bytes. The JSON is written directly (one record per line,
in the layout ``save_registry`` uses), so 1M events take a few seconds, not pydantic's time.
``--check`` loads the result with icestatus and replays it to prove it valid.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import random
import sys
import time
from pathlib import Path

# States weighted roughly like the real program (Texas and Florida dominate).
STATE_WEIGHTS = {
    "TX": 30, "FL": 30, "GA": 6, "NC": 6, "SC": 5, "AL": 4, "TN": 4, "OK": 4, "LA": 4, "AZ": 4,
    "MS": 3, "AR": 3, "MO": 3, "IN": 3, "OH": 3, "PA": 3, "VA": 3, "KY": 3, "WV": 2, "WY": 2,
    "MT": 2, "ID": 2, "UT": 2, "NV": 2, "NE": 2, "KS": 2, "IA": 2, "SD": 2, "ND": 2, "NH": 2,
    "ME": 1, "MA": 1, "RI": 1, "CT": 1, "NY": 1, "NJ": 1, "DE": 1, "MD": 1, "MI": 1, "WI": 1,
    "MN": 1, "CO": 1, "NM": 1, "AK": 1, "HI": 1, "VT": 1, "OR": 1, "WA": 1, "IL": 1, "CA": 1,
    "DC": 1, "PR": 1, "GU": 1,
}
PREFIXES = (
    "Ash", "Bay", "Bell", "Birch", "Black", "Bridge", "Brook", "Cedar", "Clay", "Clear", "Cold",
    "Crest", "Deer", "Dover", "East", "Elm", "Fair", "Fox", "Glen", "Gold", "Green", "Hart",
    "Hazel", "High", "Holly", "Iron", "Lake", "Laurel", "Lin", "Maple", "Marsh", "Mill", "New",
    "North", "Oak", "Pine", "Red", "Rich", "River", "Rock", "Rose", "Salt", "Sand", "Silver",
    "South", "Spring", "Stone", "Sun", "West", "White", "Wil", "Wood",
)
SUFFIXES = (
    "ton", "ville", "field", "ford", "wood", "dale", "burg", "port", "view", "land", "mont",
    "haven", "brook", "ridge", "water", "well", "worth", "bury", "stead", "crest",
)
MODELS = ("task_force", "jail_enforcement", "warrant_service")
MODEL_WEIGHTS = (5, 3, 4)
SHERIFF_WEIGHTS = (("County Sheriff's Office", "County", 50), ("Police Department", "Municipality", 35),
                   ("County Jail", "County", 5), ("Department of Corrections", "State Agency", 3),
                   ("Highway Patrol", "State Agency", 2), ("Marshal's Office", "Municipality", 5))
NEWS = ("Associated Press", "Local Gazette", "State Public Radio", "Capitol Tribune", "ProPublica")

START = dt.date(2006, 1, 1)
END = dt.date(2025, 10, 31)


def _id_slug(text: str) -> str:
    out = []
    for ch in text.lower().replace("'", ""):
        out.append(ch if ch.isalnum() else "-")
    return "-".join(p for p in "".join(out).split("-") if p)


class Sources:
    """ICE sheets on the 1st and 15th of each month (participating and pending), news and
    press releases in between; an event cites the first sheet published on or after it."""

    def __init__(self, rng: random.Random) -> None:
        self.records: list[dict[str, object]] = []
        self.sheet_days: list[int] = []
        self.sheet_ids: list[str] = []
        self.news_ids: list[str] = []
        day = START
        while True:
            for half_day in (1, 15):
                d = day.replace(day=half_day)
                if d < START:
                    continue
                for kind in ("participating", "pending"):
                    sid = f"ice-{kind}-{d.isoformat()}-am"
                    self.records.append({
                        "id": sid, "kind": "ice_sheet", "title": f"ICE 287(g) {kind} agencies, {d.isoformat()} (am)",
                        "publisher": "U.S. Immigration and Customs Enforcement",
                        "url": f"https://www.ice.gov/doclib/about/offices/ero/287g/{kind}Agencies{d:%m%d%Y}am.xlsx",
                        "published": d.isoformat(), "sheet": kind, "half": "am",
                        "sha1": f"{rng.getrandbits(160):040x}", "rows": rng.randint(50, 1500),
                    })
                    if kind == "participating":
                        self.sheet_days.append(d.toordinal())
                        self.sheet_ids.append(sid)
            if day.year == END.year and day.month == END.month:
                break
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        for n in range(60):
            d = START + dt.timedelta(days=rng.randrange((END - START).days))
            kind = "news" if n % 3 else "press_release"
            sid = f"{kind.replace('_', '-')}-{n:03d}-{d.isoformat()}"
            publisher = NEWS[n % len(NEWS)]
            self.records.append({
                "id": sid, "kind": kind, "title": f"Report {n} on local 287(g) agreements", "publisher": publisher,
                "url": f"https://news.example.org/{d.year}/{n}", "published": d.isoformat(),
            })
            self.news_ids.append(sid)
        # Coverage: the first and last participating and pending sheets.
        first, last = self.records[0], self.records[-61]
        self.coverage = {
            "participating": {"first": self.sheet_days_iso(0), "first_source": self.sheet_ids[0],
                              "last": self.sheet_days_iso(-1), "last_source": self.sheet_ids[-1]},
            "pending": {"first": first["published"], "first_source": str(first["id"]).replace("participating", "pending"),
                        "last": last["published"], "last_source": str(last["id"]).replace("participating", "pending")},
        }

    def sheet_days_iso(self, i: int) -> str:
        return dt.date.fromordinal(self.sheet_days[i]).isoformat()

    def cite(self, day: int, kind: str, rng: random.Random) -> str:
        i = bisect.bisect_left(self.sheet_days, day)
        sid = self.sheet_ids[min(i, len(self.sheet_ids) - 1)]
        if kind in {"applied", "withdrawn"}:
            sid = sid.replace("participating", "pending")
        if rng.random() < 0.08:
            return f'"{sid}", "{self.news_ids[rng.randrange(len(self.news_ids))]}"'
        return f'"{sid}"'


def make_departments(n: int, rng: random.Random) -> list[dict[str, object]]:
    states = list(STATE_WEIGHTS)
    weights = list(STATE_WEIGHTS.values())
    kinds = [k for k in SHERIFF_WEIGHTS]
    kind_weights = [k[2] for k in SHERIFF_WEIGHTS]
    seen: set[str] = set()
    out: list[dict[str, object]] = []
    while len(out) < n:
        state = rng.choices(states, weights)[0]
        place = rng.choice(PREFIXES) + rng.choice(SUFFIXES)
        if rng.random() < 0.3:
            place = f"{rng.choice(PREFIXES)} {place}"
        suffix, typ, _ = rng.choices(kinds, kind_weights)[0]
        name = f"{place} {suffix}"
        dept_id = f"{state.lower()}-{_id_slug(name)}"
        tries = 1
        while dept_id in seen:
            tries += 1
            name = f"{place} {suffix} {tries}" if tries > 3 else f"{rng.choice(PREFIXES)} {place} {suffix}"
            dept_id = f"{state.lower()}-{_id_slug(name)}"
        seen.add(dept_id)
        rec: dict[str, object] = {"id": dept_id, "name": name, "state": state, "type": typ}
        if typ == "County":
            rec["county"] = place
        r = rng.random()
        if r < 0.05:
            rec["aliases"] = [name.replace("'", "\u2019")] if "'" in name else [name.upper()]
        elif r < 0.10:
            rec["aliases"] = [name.replace("Department", "Dept").replace("County", "Co.")]
            if rec["aliases"] == [name]:
                rec["aliases"] = [name + " (" + state + ")"]
        out.append(rec)
    return out


# Legal moves per state of one agreement: none, pending (application open),
# active, paused, active+pending (a renewal application while in force).
NEXT = {
    "none": (("applied", 85), ("signed", 15)),
    "pending": (("signed", 80), ("withdrawn", 20)),
    "active": (("paused", 12), ("terminated", 8), ("delisted", 6), ("signed", 10), ("moa_linked", 14),
               ("corrected", 6), ("applied", 6)),
    "paused": (("resumed", 70), ("terminated", 30)),
    "active+pending": (("signed", 80), ("withdrawn", 20)),
}
_NEXT_KINDS = {s: tuple(k for k, _ in moves) for s, moves in NEXT.items()}
_NEXT_CUM = {s: tuple(itertools.accumulate(w for _, w in moves)) for s, moves in NEXT.items()}


def lifecycle(n_events: int, dept_id: str, model: str, rng: random.Random, sources: Sources,
              days: list[str], start: int, end: int) -> list[tuple[int, str]]:
    """*n_events* legal events of one agreement between ordinal days *start* and *end*."""
    out: list[tuple[int, str]] = []
    state = "none"
    span = end - start + 1
    dates = sorted(start + int(rng.random() * span) for _ in range(n_events))
    prefix = f'{{"department_id": "{dept_id}", "model": "{model}", "kind": "'
    signed_day = 0
    moa = f"https://www.ice.gov/doclib/287gMOA/287g{model[0].upper()}_{dept_id[3:20]}{dept_id[:2].upper()}_"
    for day in dates:
        kinds, cum = _NEXT_KINDS[state], _NEXT_CUM[state]
        kind = kinds[bisect.bisect_right(cum, rng.random() * cum[-1])]
        if kind == "applied" and state == "active":
            state = "active+pending"
        elif kind == "applied":
            state = "pending"
        elif kind == "withdrawn":
            state = "active" if state == "active+pending" else "none"
        elif kind == "signed":
            state = "active"
        elif kind == "paused":
            state = "paused"
        elif kind == "resumed":
            state = "active"
        elif kind in ("terminated", "delisted"):
            state = "none"
        extra = ""
        window = rng.random()
        if window < 0.10 and day - 14 > start:
            extra += f', "not_before": "{days[day - 14 - START_ORD]}"'
        if kind == "signed":
            signed_day = day
            if rng.random() < 0.1:
                signed_day = day - rng.randint(1, 30)
                extra += f', "signed": "{days[signed_day - START_ORD]}"'
            if rng.random() < 0.3:
                extra += f', "moa_url": "{moa}{day}.pdf"'
            elif rng.random() < 0.2:
                extra += ', "moa_pending": true'
        elif kind == "corrected":
            extra += f', "signed": "{days[max(START_ORD, signed_day - rng.randint(1, 60)) - START_ORD]}"'
        elif kind == "moa_linked":
            extra += f', "moa_url": "{moa}{day}.pdf"'
        if rng.random() < 0.02:
            extra += ', "note": "Reported by a local paper before ICE listed it."'
        line = (f'{prefix}{kind}", "date": "{days[day - START_ORD]}", '
                f'"sources": [{sources.cite(day, kind, rng)}]{extra}}}')
        out.append((day, line))
    return out


START_ORD = START.toordinal() - 90  # room for windows and corrected signing dates


def generate(n_events: int, n_agencies: int, seed: int) -> bytes:
    rng = random.Random(seed)
    sources = Sources(rng)
    departments = make_departments(n_agencies, rng)
    start, end = START.toordinal(), END.toordinal()
    days = [dt.date.fromordinal(o).isoformat() for o in range(START_ORD, end + 1)]
    # Agreements: 1-3 models per agency; events shared out among them.
    agreements: list[tuple[str, str]] = []
    for d in departments:
        k = rng.choices((1, 2, 3), (60, 30, 10))[0]
        for model in rng.sample(MODELS, k) if k < 3 else MODELS:
            agreements.append((str(d["id"]), model))
    rng.shuffle(agreements)
    per, extra = divmod(n_events, len(agreements))
    events: list[tuple[int, int, str]] = []
    for i, (dept_id, model) in enumerate(agreements):
        want = per + (1 if i < extra else 0)
        if want == 0:
            continue
        # Young agreements start late; long-lived ones span the whole period.
        first = start + int(rng.random() ** 2 * (end - start) * 0.8)
        for day, line in lifecycle(want, dept_id, model, rng, sources, days, first, end):
            events.append((day, len(events), line))
    events.sort()
    lines = ["{", '"schema_version": 1,', '"title": "Synthetic benchmark registry",',
             f'"coverage": {json.dumps(sources.coverage, sort_keys=True)},', '"sources": [']
    lines.append(",\n".join(json.dumps(s, ensure_ascii=False) for s in sources.records))
    lines += ["],", '"departments": [', ",\n".join(json.dumps(d, ensure_ascii=False) for d in departments), "],"]
    lines += ['"events": [', ",\n".join(line for _, _, line in events), "]", "}"]
    return ("\n".join(lines) + "\n").encode()


def check(path: Path) -> str:
    """Load with icestatus, then replay every event and check each move is legal."""
    from icestatus.registry import check_records, load_registry

    reg = load_registry(path)
    problems = check_records(reg)
    if problems:
        raise SystemExit(f"make_registry: {path}: {problems[0]}")
    state: dict[tuple[str, str], str] = {}
    legal = {s: set(k) for s, k in _NEXT_KINDS.items()}
    for i, ev in enumerate(reg.events):
        key = (ev.department_id, ev.model.value)
        cur = state.get(key, "none")
        kind = ev.kind.value
        if kind not in legal[cur]:
            raise SystemExit(f"make_registry: events[{i}]: {kind} while {cur} ({key})")
        state[key] = {
            "applied": "active+pending" if cur == "active" else "pending",
            "withdrawn": "active" if cur == "active+pending" else "none",
            "signed": "active", "paused": "paused", "resumed": "active",
            "terminated": "none", "delisted": "none",
        }.get(kind, cur)
    return f"{len(reg.events):,} events, {len(reg.departments):,} agencies, {len(reg.sources):,} sources: valid"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="where to write the registry (JSON)")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="load and replay the result to prove it valid")
    args = parser.parse_args(argv)
    if args.events < 0 or args.agencies < 1:
        parser.error("--events must be >= 0 and --agencies >= 1")
    t0 = time.perf_counter()
    data = generate(args.events, args.agencies, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.out)
    print(f"wrote {args.out}: {len(data) / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.check:
        print(check(args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
