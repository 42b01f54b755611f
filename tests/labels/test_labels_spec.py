"""The label spec holds trial codes only and refuses what looks like personal data."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labels import FIELDS, LabelSpec, SpecError, format_id, read_csv, spec_from_row


def test_valid_specimen_spec_is_normalised() -> None:
    s = LabelSpec(
        "specimen", "sp00000042n\r\n", "men1-01-0042", "c1d1", "serum", datetime(2025, 3, 14, 9, 30)
    )
    assert s.id == "SP00000042N"
    assert s.participant_code == "MEN1-01-0042"
    assert s.visit == "C1D1"
    assert s.collection_date == date(2025, 3, 14)


def test_spec_has_no_personal_fields() -> None:
    assert set(FIELDS) == {
        "kind",
        "id",
        "participant_code",
        "visit",
        "specimen_type",
        "collection_date",
    }
    with pytest.raises(TypeError):
        LabelSpec("specimen", "SP00000042N", name="Li Wei")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "tube"}, "bad_kind"),
        ({"id": "SP00000042X"}, "id_bad_check"),
        ({"kind": "box"}, "kind_mismatch"),
        ({"participant_code": "Li Wei"}, "personal_data"),
        ({"participant_code": "ZHANG"}, "personal_data"),
        ({"participant_code": "1234567"}, "personal_data"),
        ({"participant_code": "MRN-0042"}, "personal_data"),
        ({"participant_code": "01/02/1956"}, "personal_data"),
        ({"participant_code": "张伟1"}, "bad_field"),
        ({"visit": "1956-03-02"}, "personal_data"),
        ({"visit": "19560302"}, "personal_data"),
        ({"visit": "DOB"}, "personal_data"),
        ({"specimen_type": "Serum tube"}, "bad_field"),
        ({"collection_date": date(1956, 3, 2)}, "personal_data"),
    ],
)
def test_bad_or_personal_values_are_refused(kwargs: dict[str, object], code: str) -> None:
    fields: dict[str, object] = {
        "kind": "specimen",
        "id": "SP00000042N",
        "participant_code": "MEN1-01-0042",
    }
    fields.update(kwargs)
    with pytest.raises(SpecError) as exc:
        LabelSpec(**fields)  # type: ignore[arg-type]
    assert exc.value.code == code


def test_container_labels_carry_only_their_id() -> None:
    bx = format_id("BX", 1)
    assert LabelSpec("box", bx).id == bx
    with pytest.raises(SpecError) as exc:
        LabelSpec("box", bx, participant_code="MEN1-01-0042")
    assert exc.value.code == "not_applicable"


def test_aliquot_and_slide_use_specimen_ids() -> None:
    assert LabelSpec("aliquot", "SP00000042N").kind == "aliquot"
    assert LabelSpec("slide", "SP00000042N", specimen_type="ffpe_slides").kind == "slide"


def test_row_infers_kind_and_parses_date() -> None:
    s = spec_from_row({"id": "SP00000042N", "collection_date": "2025-03-14", "visit": ""})
    assert s.kind == "specimen" and s.collection_date == date(2025, 3, 14) and s.visit is None
    with pytest.raises(SpecError, match="not a date"):
        spec_from_row({"id": "SP00000042N", "collection_date": "14/03/2025"})


def test_csv_reads_rows_and_skips_blank_lines() -> None:
    text = (
        "\ufeffid,participant_code,visit,specimen_type,collection_date\r\n"
        "SP00000042N,MEN1-01-0042,C1D1,serum,2025-03-14\r\n,,,,\r\n"
        "SP00000050N,MEN1-01-0042,C1D1,plasma,\r\n"
    )
    specs = read_csv(text)
    assert [s.id for s in specs] == ["SP00000042N", "SP00000050N"]
    assert specs[1].specimen_type == "plasma" and specs[1].collection_date is None


@pytest.mark.parametrize(
    "column",
    ["name", "patient_name", "DOB", "date_of_birth", "MRN", "hospital_no", "姓名", "病案号"],
)
def test_csv_with_personal_column_is_refused_whole(column: str) -> None:
    with pytest.raises(SpecError) as exc:
        read_csv(f"id,{column}\nSP00000042N,x\n")
    assert exc.value.code == "personal_data"
    assert column in exc.value.message


def test_csv_unknown_column_and_bad_row_name_the_problem() -> None:
    with pytest.raises(SpecError, match="unknown column 'colour'") as exc:
        read_csv("id,colour\nSP00000042N,red\n")
    assert exc.value.code == "unknown_field"
    with pytest.raises(SpecError, match=r"line 3: .*wrong check"):
        read_csv("id,visit\nSP00000042N,C1D1\nSP00000042X,C1D1\n")
    with pytest.raises(SpecError, match="no id column"):
        read_csv("visit\nC1D1\n")
    with pytest.raises(SpecError, match="twice"):
        read_csv("id,visit,visit\nSP00000042N,C1D1,C2D1\n")


def test_every_biobank_specimen_type_is_a_valid_code() -> None:
    from tests.labels.helpers import SPECIMEN_TYPES

    for code in SPECIMEN_TYPES:
        assert LabelSpec("specimen", "SP00000042N", specimen_type=code).specimen_type == code
    # The copy in the helpers must follow the application's vocabulary (tests may import it;
    # the library never does).
    from biobank import vocabulary

    assert set(SPECIMEN_TYPES) == set(vocabulary.SPECIMEN_TYPES)


@settings(max_examples=150, deadline=None)
@given(
    body=st.lists(
        st.lists(st.text(max_size=14), min_size=1, max_size=7).map(
            lambda cells: ",".join(f'"{c}"' if "," in c else c for c in cells)
        ),
        max_size=4,
    ),
    header=st.lists(st.sampled_from([*FIELDS, "name", "colour"]), min_size=1, max_size=7),
)
def test_property_any_csv_gives_specs_or_a_spec_error(body: list[str], header: list[str]) -> None:
    text = "\n".join([",".join(header), *body]) + "\n"
    try:
        specs = read_csv(text)
    except SpecError as exc:
        assert exc.message and "\n" not in exc.message.strip()
    else:
        assert all(isinstance(s, LabelSpec) for s in specs)


def test_unreadable_csv_is_a_spec_error() -> None:
    with pytest.raises(SpecError) as exc:
        read_csv('id,visit\n"SP00000042N\x00,C1D1\n')
    assert exc.value.code in ("bad_csv", "id_bad_format", "id_non_ascii")
