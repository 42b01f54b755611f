"""A "world" for the authorization matrix: the seeded demo plus, at each collection site, a
genotyping analysis with a signed report (and a pending override, so it can be amended), an
unsigned one, shipments in every state a row acts on, a freezer with a shelf and a box holding
a stored tube, and one API token per user. Built once per engine as a template database;
writing cells get a fresh copy, reading cells share one copy."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from biobank import get_db
from biobank.models import Participant, Shipment, Specimen, User
from biobank.services import (
    enrollment,
    genotyping,
    mlpa,
    outside_results,
    sessions,
    shipments,
    specimens,
    storage,
    trial,
    users,
)
from tests.conftest import DEMO_PASSWORD, PgDatabases, csrf_token, make_app, write_session_cookie

USERS = ("admin", "cb.tech", "pathologist", "monitor", "s01.tech", "s01.coord", "s02.tech",
         "s02.coord")
# "own" objects belong to S01 (the site staff under test are s01.*); "other" ones to S02.
SIDES = {"own": "S01", "other": "S02"}
GENOTYPED = {"own": "S01-0003", "other": "S02-0003"}  # demo stage "both"
# An enrolled participant whose evaluation-visit bloods fill the shipments and the box.
EVALUATED = {"own": "S01-0005", "other": "S02-0004"}


@dataclass
class World:
    engine: str
    url: str  # the template database
    base: Path  # the instance folder's parent (uploaded files live there)
    user_ids: dict[str, int]
    tokens: dict[str, str]  # username -> API bearer token (plaintext)
    token_ids: dict[str, int]
    sids: dict[str, str] = field(default_factory=dict)  # username -> open session id
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # side -> placeholders
    pg: PgDatabases | None = None
    copies: int = 0
    dirty: bool = False  # the writer's database holds changes from a previous cell

    def copy(self) -> str:
        """A fresh database with the world's content."""
        self.copies += 1
        if self.pg is not None:
            template = self.url.rsplit("/", 1)[1]
            return self.pg.url_for(self.pg.create(template))
        src = Path(self.url.removeprefix("sqlite:///"))
        dst = self.base / f"copy{self.copies}.db"
        shutil.copy(src, dst)
        return f"sqlite:///{dst}"

    def drop(self, url: str) -> None:
        if self.pg is not None:
            self.pg.drop(url.rsplit("/", 1)[1])
        else:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)

    def app(self, url: str) -> Flask:
        return make_app(url, self.base)

    def restore(self, app: Flask, url: str) -> None:
        """Put the world's content back (the app keeps its warm templates)."""
        pinned: _Pinned | None = app.extensions.get("authz.pinned")
        if pinned is not None:
            pinned.reset()
            return
        get_db(app).dispose()
        dst = Path(url.removeprefix("sqlite:///"))
        for suffix in ("-wal", "-shm"):
            Path(str(dst) + suffix).unlink(missing_ok=True)
        shutil.copy(Path(self.url.removeprefix("sqlite:///")), dst)


class _Pinned:
    """PostgreSQL: every session of the app runs inside one outer transaction on one
    connection (the request's commit only releases a savepoint); reset() rolls it all back.
    Creating a database per cell costs over a second on this server."""

    def __init__(self, app: Flask) -> None:
        db = get_db(app)
        self.conn = db.engine.connect()
        self.outer = self.conn.begin()
        maker = sessionmaker(bind=self.conn, expire_on_commit=False,
                             join_transaction_mode="create_savepoint")
        db._write = db._read = maker  # type: ignore[method-assign]
        app.extensions["authz.pinned"] = self

    def reset(self) -> None:
        self.outer.rollback()
        self.outer = self.conn.begin()

    def close(self) -> None:
        self.outer.rollback()
        self.conn.close()


def signed_in(app: Flask, world: World, username: str | None) -> FlaskClient:
    """A test client carrying a signed-in session for ``username`` (None: anonymous). The
    session is written directly: the sign-in itself is tested in test_auth.py."""
    c = app.test_client()
    if username is not None:
        write_session_cookie(c, world.user_ids[username], world.sids[username])
    return c


def _vcf(records: list[str]) -> bytes:
    from tests.biobank.genotyping.conftest import mutect2_vcf

    return mutect2_vcf(records)


def _build(world: World) -> None:
    from tests.biobank.genotyping.conftest import (
        NORMAL_COL,
        TUMOR_COL,
        demo_specimens,
        germline_stop,
        receive_at_central,
    )
    from tests.variant_calling.conftest import VUS, Counts, mutect2

    app = world.app(world.url)
    db = get_db(app)
    with db.transaction() as s:
        for name in USERS:
            u = s.execute(select(User).where(User.username == name)).scalar_one()
            world.user_ids[name] = u.id
            world.tokens[name], tok = users.create_token(s, u, u, "authz matrix")
            world.sids[name] = sessions.start(s, u)
            s.flush()
            world.token_ids[name] = tok.id
    path = signed_in(app, world, "pathologist")
    for side, code in GENOTYPED.items():
        demo = demo_specimens(app, code)
        receive_at_central(app, [demo.blood, demo.tumour])
        ids = []
        for content in (_vcf([germline_stop()]), _vcf([mutect2(*VUS, Counts(30, 0),
                                                                Counts(20, 10))])):
            resp = path.post(
                f"/genotyping/participants/{code}/upload",
                data={"paired": (io.BytesIO(content), "pair.vcf"),
                      "normal_specimen": demo.blood, "tumor_specimen": demo.tumour,
                      "caller": "Mutect2", "caller_version": "4.2.4.1", "assay": "panel",
                      "build": "GRCh38", "normal_sample": NORMAL_COL,
                      "tumor_sample": TUMOR_COL, "csrf_token": csrf_token(path, "/")},
                content_type="multipart/form-data")
            assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
            ids.append(int(resp.headers["Location"].rsplit("/", 1)[1]))
        signed, unsigned = ids
        with db.transaction() as s:
            actor = s.get(User, world.user_ids["pathologist"])
            assert actor is not None
            version = genotyping.sign(s, actor, signed, DEMO_PASSWORD)
            a = genotyping.get_analysis(s, actor, signed)
            variant = a.variants[0]
            genotyping.override(s, actor, variant.id, "classification", "uncertain_significance",
                                "authz matrix: pending amendment")
            site_rows = s.execute(
                select(Specimen).join(Participant)
                .where(Participant.code.startswith(SIDES[side] + "-"))
                .order_by(Specimen.id)).scalars().all()
            expected = next(x for x in site_rows if x.status == "expected")
            collected = next(x for x in site_rows if x.status == "collected")
            outside, _created = outside_results.create(
                s, actor, outside_results.OutsideRequest(
                    code, "NM_000244.3:c.1393C>T", "authz matrix lab", "2026-01-02", "AZ-1",
                    genotyping.Upload("normal", io.BytesIO(b"%PDF-1.4 authz " + code.encode()),
                                      "report.pdf")),
                genotyping.Settings.from_config(app.config, app.instance_path))
            from tests.variant_calling.test_mlpa import table

            blood = next(x for x in site_rows if x.barcode == demo.blood)
            single, _created = mlpa.create(
                s, actor, mlpa.MlpaRequest(code, blood.barcode, genotyping.Upload(
                    "normal", io.BytesIO(table({5: 0.5}).encode()), "p017.csv")),
                genotyping.Settings.from_config(app.config, app.instance_path))
            coordinator = s.execute(select(User).where(
                User.username == f"{SIDES[side].lower()}.coord")).scalar_one()
            assessment = enrollment.record_assessment(
                s, coordinator, s.execute(select(Participant).where(Participant.code == code)
                                          ).scalar_one(), {"age": "50"}, "authz matrix")
            world.values[side] = {
                "participant": code, "analysis": signed, "analysis_unsigned": unsigned,
                "assessment": assessment.id,
                "variant": variant.id, "report": version.report_id,
                "specimen_expected": expected.barcode, "specimen_collected": collected.barcode,
                "outside_analysis": outside.id, "outside_document": outside.inputs[0].id,
                "mlpa_variant": single.variants[0].id,
                # The genotyped participant's blood and tumour (an upload links its files to
                # them): names only, the world's content is unchanged.
                "specimen_blood": demo.blood, "specimen_tumour": demo.tumour,
            }
        world.values[side].update(_logistics(app, side))
    db.dispose()


def _logistics(app: Flask, side: str) -> dict[str, Any]:
    """The site's shipments (one per state a row acts on, outbound to and inbound from the
    central biobank) and its storage, built through the services as the site's and the central
    technicians would. Returns the placeholders the rows use."""
    site = SIDES[side]
    with get_db(app).transaction() as s:
        def user(name: str) -> User:
            return s.execute(select(User).where(User.username == name)).scalar_one()

        tech, central = user(f"{site.lower()}.tech"), user("cb.tech")
        p = s.execute(select(Participant).where(Participant.code == EVALUATED[side])
                      ).scalar_one()
        evaluation = trial.get_visit(s, "EVAL")
        tubes: list[Specimen] = []
        for occurrence in range(1, 10):
            (tube,) = specimens.visit_kit(s, tech, p, evaluation, occurrence)
            specimens.register_collection(s, tech, tube)
            tubes.append(tube)
        draft_tube, spare_tube, ready_tube, transit_tube = tubes[:4]
        back = tubes[4:8]
        at_central = tubes[8]  # received at the central biobank and kept there
        n = 0

        def shipment(by: User, codes: list[Specimen], to: str | None = None, *,
                     ready: bool = True, ship: bool = True) -> Shipment:
            nonlocal n
            n += 1
            sh = shipments.create(s, by, conditions="dry_ice", to_site=to, courier="SF Express",
                                  tracking_number=f"MATRIX-{site}-{n}", dry_ice_kg="2.5")
            for sp in codes:
                shipments.pack(s, by, sh, sp.barcode)
            if ready:
                shipments.mark_ready(s, by, sh)
            if ship:
                shipments.ship(s, by, sh)
            return sh

        def receive(by: User, sh: Shipment, scan: list[Specimen], finish: bool = True) -> None:
            shipments.start_receipt(s, by, sh)
            for sp in scan:
                shipments.receive_scan(s, by, sh, sp.barcode)
            if finish:
                shipments.finish_receipt(s, by, sh)

        draft = shipment(tech, [draft_tube], ready=False, ship=False)
        ready = shipment(tech, [ready_tube], ship=False)
        in_transit = shipment(tech, [transit_tube])
        # Four tubes go to the central biobank and come back in four inbound shipments.
        to_central = shipment(tech, [*back, at_central])
        receive(central, to_central, [*back, at_central])
        shipments.close(s, central, to_central)
        inbound = shipment(central, [back[0]], site)
        receiving = shipment(central, [back[1]], site)
        receive(tech, receiving, [], finish=False)
        discrepancy = shipment(central, [back[2]], site)
        receive(tech, discrepancy, [])  # nothing scanned: the tube is missing
        received = shipment(central, [back[3]], site)
        receive(tech, received, [back[3]])

        unit = storage.create_location(s, tech, kind="freezer_minus80", name="Matrix freezer")
        shelf = storage.create_location(s, tech, kind="shelf", name="Shelf 1", parent=unit)
        fridge = storage.create_location(s, tech, kind="fridge_4c", name="Matrix fridge")
        box = storage.create_box(s, tech, box_type="cryobox_9x9", name="Matrix box",
                                 location=shelf)
        storage.store(s, tech, box, back[3])
        return {
            "ship_draft": draft.barcode, "ship_ready": ready.barcode,
            "ship_in_transit": in_transit.barcode, "ship_inbound": inbound.barcode,
            "ship_receiving": receiving.barcode, "ship_discrepancy": discrepancy.barcode,
            "ship_received": received.barcode,
            "specimen_packed": draft_tube.barcode, "specimen_packable": spare_tube.barcode,
            "specimen_arriving": back[1].barcode, "specimen_missing": back[2].barcode,
            "specimen_stored": back[3].barcode, "specimen_at_central": at_central.barcode,
            "location_unit": unit.barcode, "location_shelf": shelf.barcode,
            "location_fridge": fridge.barcode, "box": box.barcode,
        }


@pytest.fixture(scope="session", params=["sqlite",
                                         pytest.param("postgresql", marks=pytest.mark.postgres)])
def authz_world(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp(f"world_{request.param}")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = base / "world.db"
        shutil.copy(template, path)
        world = World("sqlite", f"sqlite:///{path}", base, {}, {}, {})
    else:
        dbs: PgDatabases = request.getfixturevalue("pg_databases")
        world = World("postgresql", dbs.url_for(dbs.seeded()), base, {}, {}, {}, pg=dbs)
    _build(world)
    yield world


@pytest.fixture(scope="session")
def authz_reader(authz_world: World) -> Iterator[Flask]:
    """One shared copy for cells that only read."""
    url = authz_world.copy()
    app = authz_world.app(url)
    yield app
    get_db(app).dispose()


@pytest.fixture(scope="session")
def authz_writer(authz_world: World) -> Iterator[tuple[Flask, str]]:
    """One app for cells that write; its database is restored to the world before each."""
    url = authz_world.copy()
    app = authz_world.app(url)
    pinned = _Pinned(app) if authz_world.pg is not None else None
    yield app, url
    if pinned is not None:
        pinned.close()
    get_db(app).dispose()


def token_of(world: World, username: str | None) -> dict[str, str]:
    return {} if username is None else {"Authorization": f"Bearer {world.tokens[username]}"}


__all__ = ["World", "signed_in", "token_of"]
