"""Wording a clinical review asked for: facts stated as the study found them, no promise we cannot keep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CARRERE = [ROOT / "notebooks" / "03_communication.md", ROOT / "notebooks" / "es" / "03_comunicacion.md",
           ROOT / "toolkit" / "content" / "exercises" / "i_statement.yaml"]


@pytest.mark.parametrize("path", CARRERE, ids=lambda p: p.name)
def test_carrere_and_gottman_predicted_divorce_over_six_years(path):
    """The first three minutes of a conflict discussion predicted divorce over six years (Carrère & Gottman, 1999)."""
    text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))
    claims = re.findall(r"[^.]*(?:three minutes|tres primeros minutos)[^.(]*\(Carr", text)
    assert claims
    for sentence in claims:
        assert re.search(r"divorc", sentence) and re.search(r"six years|seis años", sentence), sentence
    assert "whole conversation" not in text and "toda la conversación" not in text


def test_free_and_confidential_never_covers_emergency_services():
    """Emergency numbers are not a confidential line: the body that says "confidential" says what they are for."""
    levels = yaml.safe_load((ROOT / "toolkit" / "content" / "safety.yaml").read_text(encoding="utf-8"))["levels"]
    for level in levels.values():
        for language, body in level.get("body", {}).items():
            body = " ".join(body.split())
            if "confidential" in body or "confidenciales" in body:
                assert re.search(r"emergency numbers are for|números de emergencia son para", body, re.I), (language, body)


def test_csi4_dissatisfied_feedback_says_the_cut_off_is_unconfirmed_and_puts_safety_first():
    from toolkit.instruments import load_instrument

    band = next(b for b in load_instrument("csi4").scales[0].bands if b.id == "dissatisfied")
    text = " ".join(band.feedback["en"].split())
    assert "13.5" in text and "not been able to confirm" in text
    assert "afraid of your partner" in text and text.index("afraid") < text.index("starting point")


def test_safety_texts_have_no_awkward_or_gendered_spanish():
    """A clinical read of the Spanish safety texts (issue 15): no double "no", no literal
    "act on thoughts", no adjective that assumes the reader's gender."""
    safety = (ROOT / "toolkit" / "content" / "safety.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(safety)
    spanish = []

    def walk(node):
        if isinstance(node, dict):
            if "es" in node and isinstance(node["es"], str):
                spanish.append(" ".join(node["es"].split()))
            for value in node.values():
                walk(value)

    walk(data)
    text = " ".join(spanish)
    assert len(spanish) >= 14
    for awkward in ("que no no", "hacer caso a pensamientos", "merece tu cuidado", "te hace sentir inseguridad",
                    "con seguridad para participar"):
        assert awkward not in text, awkward
    for gendered in ("seguro ", "segura ", "solo ", "sola ", "tranquilo", "tranquila", "asustado", "asustada"):
        assert not re.search(rf"\bte sientes {gendered}|\bestás {gendered}", text), gendered
