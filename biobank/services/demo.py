"""A believable demo trial: two collection sites, the central biobank, a dozen participants at
different stages, and one user per role. Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Site, User, utcnow
from . import specimens, trial, users

SITES = (
    ("CB", "Cancer Hospital CAMS — Central Biobank", "central"),
    ("S01", "Site 01 — Beijing", "collection"),
    ("S02", "Site 02 — Shanghai", "collection"),
)

DEMO_USERS = (
    ("admin", "Demo Administrator", "admin", "CB"),
    ("cb.tech", "Central Biobank Technician", "technician", "CB"),
    ("pathologist", "Demo Molecular Pathologist", "pathologist", "CB"),
    ("monitor", "Demo Monitor", "monitor", "CB"),
    ("s01.tech", "Site 01 Technician", "technician", "S01"),
    ("s01.coord", "Site 01 Coordinator", "coordinator", "S01"),
    ("s02.tech", "Site 02 Technician", "technician", "S02"),
    ("s02.coord", "Site 02 Coordinator", "coordinator", "S02"),
)

# (site, stage): "kit" = screening labels printed; "blood" = screening blood collected;
# "both" = blood and tumour tissue collected; "c1d1" = both, and the first-dose kit labelled
# ahead of the visit. None is enrolled: enrolment needs the gate to say eligible (a signed
# MEN1 report, the criteria, the specimens received centrally), which the demo walk does.
PARTICIPANTS = (
    ("S01", "kit"), ("S01", "blood"), ("S01", "both"), ("S01", "both"), ("S01", "c1d1"),
    ("S01", "c1d1"), ("S01", "failed"),
    ("S02", "kit"), ("S02", "blood"), ("S02", "both"), ("S02", "c1d1"), ("S02", "kit"),
)


@dataclass
class SeedReport:
    created: bool
    users: list[tuple[str, str, str]]


def seed_demo(session: Session, password: str) -> SeedReport:
    logins = [(u, role, site) for u, _n, role, site in DEMO_USERS]
    if session.execute(select(Site).where(Site.code == "CB")).scalar_one_or_none():
        return SeedReport(False, logins)
    trial.ensure_trial(session)
    sites = {}
    for code, name, kind in SITES:
        site = Site(code=code, name=name, kind=kind, timezone="Asia/Shanghai")
        session.add(site)
        sites[code] = site
    session.flush()
    accounts: dict[str, User] = {}
    for username, display, role, site_code in DEMO_USERS:
        accounts[username] = users.create_user(
            session, None, username=username, display_name=display, role=role,
            site_code=site_code, password=password,
        )
    scr = trial.get_visit(session, "SCR")
    c1d1 = trial.get_visit(session, "C1D1")
    now = utcnow()
    for n, (site_code, stage) in enumerate(PARTICIPANTS):
        site = sites[site_code]
        tech = accounts[f"{site_code.lower()}.tech"]
        coord = accounts[f"{site_code.lower()}.coord"]
        p = trial.create_participant(
            session, coord, site, consent_main=True,
            consent_sample_storage=stage != "failed" or n % 2 == 0,
            consent_future_research=n % 3 != 0,
            consent_date=date.today() - timedelta(days=40 - n),
        )
        kit = specimens.visit_kit(session, tech, p, scr)
        blood = next(s for s in kit if s.specimen_type == "whole_blood_edta")
        tissue = next(s for s in kit if s.specimen_type == "ffpe_block")
        day0 = now - timedelta(days=30 - n)
        if stage in {"blood", "both", "c1d1", "failed"}:
            specimens.register_collection(session, tech, blood, at=day0)
        if stage in {"both", "c1d1"}:
            specimens.register_collection(session, tech, tissue, at=day0 + timedelta(hours=1))
        if stage == "failed":
            trial.set_screening_status(session, coord, p, "screen_failed",
                                       reason="demo: screening failed")
        if stage == "c1d1":
            specimens.visit_kit(session, tech, p, c1d1)
    session.flush()
    return SeedReport(True, logins)
