"""A believable demo trial: two collection sites, the central biobank, a dozen participants at
different stages, and one user per role. Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Site, StorageLocation, User, utcnow
from . import specimens, storage, trial, users

SITES = (
    ("CB", "Cancer Hospital CAMS — Central Biobank", "central"),
    ("S01", "Site 01 — Beijing", "collection"),
    ("S02", "Site 02 — Shanghai", "collection"),
)
# Where packages go and whom the courier calls: desks, not people; example.org numbers.
SITE_CONTACTS = {
    "CB": ("Central Biobank, Building 2\n17 Panjiayuan Nanli, Chaoyang District\n"
           "Beijing 100021, China", "Central biobank specimen reception", "+86 10 5555 0100",
           "biobank.reception@example.org"),
    "S01": ("Department of Pathology, specimen desk\n1 Shuaifuyuan, Dongcheng District\n"
            "Beijing 100730, China", "Site 01 trial laboratory", "+86 10 5555 0101",
            "s01.lab@example.org"),
    "S02": ("Clinical Research Centre, room 312\n270 Dong'an Road, Xuhui District\n"
            "Shanghai 200032, China", "Site 02 trial laboratory", "+86 21 5555 0102",
            "s02.lab@example.org"),
}

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


# The central biobank's storage, so that a new installation can store at once: a −80 °C
# freezer for blood and its derivatives, a −20 °C freezer for DNA working stock, a
# liquid-nitrogen tank, and a room-temperature cabinet for FFPE blocks, slides and curls (see
# docs/storage-rules.md for what goes where).
# (unit kind, unit name, [(level kind, level name, [(box type, box name), …]), …])
STORAGE = (
    ("freezer_minus80", "Freezer A (−80 °C)", (
        ("shelf", "Shelf 1", ()),
        ("shelf", "Shelf 2", ()),
    )),
    ("freezer_minus20", "Freezer B (−20 °C)", (
        ("shelf", "Shelf 1", (("cryobox_9x9", "DNA working stock 1"),)),
    )),
    ("ln2_tank", "LN2 tank 1", (
        ("rack", "Rack 1", (("cryobox_10x10", "Viable cells 1"),)),
    )),
    ("ffpe_cabinet", "Cabinet A (FFPE, room temperature)", (
        ("shelf", "Drawer 1", (("block_box_5x10", "FFPE blocks 1"),
                               ("block_box_5x10", "FFPE blocks 2"))),
        ("shelf", "Drawer 2", (("slide_box_100", "FFPE slides 1"),)),
        # Curls are cut into a microtube: a tube box, at the paraffin's room temperature.
        ("shelf", "Drawer 3", (("cryobox_9x9", "FFPE curls 1"),)),
    )),
)
# Racks on the −80 °C freezer's shelves: (shelf, rack, [(box type, box name), …]).
FREEZER_RACKS = (
    ("Shelf 1", "Rack 1", (("cryobox_10x10", "Serum 1"), ("cryobox_10x10", "Plasma 1"),
                           ("cryobox_9x9", "Buffy coat 1"))),
    ("Shelf 1", "Rack 2", (("cryobox_9x9", "Whole blood 1"), ("cryobox_9x9", "Germline DNA 1"),
                           ("cryobox_9x9", "Tumour DNA 1"))),
    ("Shelf 2", "Rack 3", (("cryobox_9x9", "Fresh-frozen tissue 1"),)),
)


def seed_storage(session: Session) -> bool:
    """The central biobank's demo freezers, cabinet, shelves, racks and boxes, once: nothing
    is added where the central biobank already has storage."""
    cb = session.execute(select(Site).where(Site.code == "CB")).scalar_one_or_none()
    tech = session.execute(select(User).where(User.username == "cb.tech")).scalar_one_or_none()
    if cb is None or tech is None or session.execute(
            select(StorageLocation.id).where(StorageLocation.site_id == cb.id).limit(1)
    ).first() is not None:
        return False
    for kind, name, levels in STORAGE:
        unit = storage.create_location(session, tech, kind=kind, name=name, site=cb)
        for level_kind, level_name, boxes in levels:
            level = storage.create_location(session, tech, kind=level_kind, name=level_name,
                                            parent=unit)
            for box_type, box_name in boxes:
                storage.create_box(session, tech, box_type=box_type, name=box_name,
                                   location=level)
            if kind == "freezer_minus80":
                for shelf, rack_name, rack_boxes in FREEZER_RACKS:
                    if shelf != level_name:
                        continue
                    rack = storage.create_location(session, tech, kind="rack", name=rack_name,
                                                   parent=level)
                    for box_type, box_name in rack_boxes:
                        storage.create_box(session, tech, box_type=box_type, name=box_name,
                                           location=rack)
    session.flush()
    return True


@dataclass
class SeedReport:
    created: bool
    users: list[tuple[str, str, str]]


def seed_demo(session: Session, password: str) -> SeedReport:
    logins = [(u, role, site) for u, _n, role, site in DEMO_USERS]
    if session.execute(select(Site).where(Site.code == "CB")).scalar_one_or_none():
        # A demo seeded before the storage was part of it gets the storage, once.
        seed_storage(session)
        return SeedReport(False, logins)
    trial.ensure_trial(session)
    sites = {}
    for code, name, kind in SITES:
        address, contact, phone, email = SITE_CONTACTS[code]
        site = Site(code=code, name=name, kind=kind, timezone="Asia/Shanghai", address=address,
                    contact_name=contact, contact_phone=phone, contact_email=email)
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
    seed_storage(session)
    return SeedReport(True, logins)
