"""The shared header vectors (docs/vectors/header.json), which the Swift tests read too."""
import json
import pathlib

import pytest

from colony.header import ColonyHeader, HeaderError

VECTORS = json.loads((pathlib.Path(__file__).resolve().parents[3] / "docs" / "vectors" / "header.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vectors_decode_to_their_fields_and_encode_back(vector):
    data = bytes.fromhex(vector["hex"])
    assert ColonyHeader.decode(data).as_fields() == vector["fields"]
    assert ColonyHeader.from_fields(vector["fields"]).encode() == data


@pytest.mark.parametrize("vector", VECTORS["decode_only"], ids=lambda v: v["name"])
def test_decode_only_vectors(vector):
    assert ColonyHeader.decode(bytes.fromhex(vector["hex"])).as_fields() == vector["fields"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_refused_with_their_kind(vector):
    with pytest.raises(HeaderError) as refused:
        ColonyHeader.decode(bytes.fromhex(vector["hex"]))
    assert refused.value.kind == vector["error"]


def test_numbers_out_of_range_are_refused_when_encoding():
    with pytest.raises(ValueError):
        ColonyHeader(attempt=2**32).encode()
    with pytest.raises(ValueError):
        ColonyHeader(request_id=-1).encode()
