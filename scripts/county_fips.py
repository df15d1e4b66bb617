"""County FIPS codes for the registry's agencies, at build time (scripts/build_registry.py).

The codes come from addfips (the Census Bureau's county list, offline), which is a build
and test dependency only: the registry stores each agency's code (``Department.county_fips``),
so icestatus never needs addfips at run time (it is GPL-3, icestatus MIT).

An agency gets the code of, in this order:

1. a reviewed fix of data/fips_fixes.json for its county as ICE prints it (for one agency,
   or for every agency of a state that ICE gives that county): ICE's typos (``Baldwin
   Couny``), a wrong suffix (``Lafourche County`` for a parish), a place that is not a
   county, each with its reason; a fix may also say that a county cannot be resolved;
2. the county as ICE prints it (``York County``), or with the state's county word
   added or swapped (``Hinds`` -> ``Hinds County``; Louisiana's ``Union County`` -> ``Union
   Parish``);
3. when ICE gives no county, or one that does not resolve: the county the agency is named
   for (``Clarke County Sheriff's Office``), in its state.

Everything else is listed in the report (``FipsReport.lines``), which the build prints,
so that every agency with a county has a code or is named there for review.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from icestatus.models import Department, Registry

FIXES = Path(__file__).resolve().parents[1] / "data" / "fips_fixes.json"

# What ICE writes for "no county" (#N/A in its spreadsheet, typed several ways).
NO_COUNTY = re.compile(r"^\s*(#\s*n\W{0,2}a|n/?a|none|unknown|county)\s*$", re.IGNORECASE)
# An agency named for its county: "Clarke County Sheriff's Office", "St. Bernard Parish Jail".
NAMED_FOR = re.compile(r"^(?:the\s+)?(.+?\s(?:County|Parish|Borough))\b", re.IGNORECASE)
_SUFFIX = re.compile(r"\s+(County|Parish|Borough)$", re.IGNORECASE)
_COUNTY_WORD = {"LA": "Parish", "AK": "Borough"}


class FixError(ValueError):
    """data/fips_fixes.json is malformed, or a fix names a county that does not resolve."""


@dataclass(frozen=True, slots=True)
class Fix:
    state: str
    county: str                  # the county as ICE prints it
    read_as: str | None          # the county it means; None: reviewed, cannot be resolved
    reason: str
    department_id: str | None = None


@dataclass(slots=True)
class FipsReport:
    """What the FIPS step did, for the build's report. An agency *names a county* when ICE
    gives one (not empty, not its ``#N/A``)."""

    agencies: int = 0
    named: int = 0                                        # agencies whose county ICE names
    how: Counter[str] = field(default_factory=Counter)    # "as printed", "fix", "name" -> agencies
    from_name: list[Department] = field(default_factory=list)   # resolved from the agency's own name
    unresolved: list[tuple[Department, str]] = field(default_factory=list)  # (agency, why)
    unused_fixes: list[Fix] = field(default_factory=list)

    def lines(self) -> list[str]:
        not_named = self.agencies - self.named
        named_unresolved = sum(1 for d, _ in self.unresolved if names_county(d))
        out = [
            f"county FIPS: {self.named:,} of {self.agencies:,} agencies name a county: "
            f"{self.named - named_unresolved:,} resolved ({self.how['as printed']:,} as ICE prints it, "
            f"{self.how['fix']:,} by a reviewed fix in data/fips_fixes.json, {self.how['name']:,} from the "
            f"agency's own name), {named_unresolved:,} not; of the {not_named:,} with no county "
            f"(none, or ICE's #N/A), {sum(1 for d in self.from_name if not names_county(d)):,} resolved from "
            "the agency's own name",
        ]
        if self.from_name:
            out.append("county FIPS: resolved from the agency's name (ICE's county did not resolve):")
            out += [f"  {d.state}  {d.county!s:<22} {d.id}: {d.county_fips}" for d in self.from_name]
        if self.unresolved:
            out.append("county FIPS: not resolved (review; fixes go in data/fips_fixes.json):")
            out += [f"  {d.state}  {d.county!s:<22} {d.id}: {why}" for d, why in self.unresolved]
        out += [f"county FIPS: unused fix (no agency has that county any more): {f.state} {f.county!r}"
                + (f" for {f.department_id}" if f.department_id else "") for f in self.unused_fixes]
        return out


def names_county(dept: Department) -> bool:
    """Whether ICE names the agency's county (not empty, not ``#N/A``)."""
    return dept.county is not None and not NO_COUNTY.match(dept.county)


def load_fixes(path: Path = FIXES) -> list[Fix]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries: list[dict[str, Any]] = doc["fixes"]
        fixes = [
            Fix(state=e["state"], county=e["county"], read_as=e["read_as"], reason=e["reason"],
                department_id=e.get("department_id"))
            for e in entries
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FixError(f"{path}: {type(exc).__name__}: {exc}") from None
    for i, fix in enumerate(fixes):
        if not fix.reason.strip():
            raise FixError(f"{path}: fixes[{i}] ({fix.state} {fix.county!r}) gives no reason")
    return fixes


class Resolver:
    """County names to FIPS codes (addfips), with the reviewed fixes."""

    def __init__(self, fixes: Iterable[Fix]) -> None:
        from addfips import AddFIPS

        self._af = AddFIPS()
        self.fixes = list(fixes)
        self.used: set[int] = set()
        for i, fix in enumerate(self.fixes):
            if fix.read_as is not None and self.lookup(fix.read_as, fix.state) is None:
                raise FixError(f"fixes[{i}]: {fix.read_as!r} is not a county of {fix.state} (Census list)")

    def lookup(self, county: str, state: str) -> str | None:
        """The code of *county* in *state*, trying the state's county word when it is
        missing or wrong; None when no county of that name exists there."""
        word = _COUNTY_WORD.get(state, "County")
        bare = _SUFFIX.sub("", county.strip())
        for name in dict.fromkeys((county.strip(), f"{bare} {word}")):
            code: str | None = self._af.get_county_fips(name, state=state)
            if code is not None:
                return code
        return None

    def fix_for(self, dept: Department) -> tuple[int, Fix] | None:
        best = None
        for i, fix in enumerate(self.fixes):
            if fix.state == dept.state and fix.county == dept.county:
                if fix.department_id == dept.id:
                    return i, fix
                if fix.department_id is None:
                    best = (i, fix)
        return best

    def resolve(self, dept: Department) -> tuple[str | None, str]:
        """(code, how) for one agency: how is "fix", "as printed", "name", or why not."""
        if dept.county is not None:
            found = self.fix_for(dept)
            if found is not None:
                i, fix = found
                self.used.add(i)
                if fix.read_as is None:
                    return None, f"reviewed: {fix.reason}"
                return self.lookup(fix.read_as, dept.state), "fix"
            if not NO_COUNTY.match(dept.county):
                code = self.lookup(dept.county, dept.state)
                if code is not None:
                    return code, "as printed"
        named = NAMED_FOR.match(dept.name)
        if named is not None:
            code = self.lookup(named.group(1), dept.state)
            if code is not None:
                return code, "name"
        if dept.county is None:
            return None, "no county"
        if NO_COUNTY.match(dept.county):
            return None, "ICE gives no county"
        return None, f"no county {dept.county!r} in {dept.state} (Census list)"


def add_county_fips(registry: Registry, fixes: Iterable[Fix] | None = None) -> tuple[Registry, FipsReport]:
    """*registry* with every agency's county FIPS code that can be resolved, and the report."""
    resolver = Resolver(load_fixes() if fixes is None else fixes)
    report = FipsReport(agencies=len(registry.departments))
    departments = []
    for dept in registry.departments:
        code, how = resolver.resolve(dept)
        done = replace(dept, county_fips=code)
        departments.append(done)
        report.named += names_county(dept)
        if code is None:
            if dept.county is not None:
                report.unresolved.append((dept, how))
        elif names_county(dept):
            report.how[how] += 1
        if how == "name":
            report.from_name.append(done)
    report.unused_fixes = [f for i, f in enumerate(resolver.fixes) if i not in resolver.used]
    return registry.model_copy(update={"departments": tuple(departments)}), report
