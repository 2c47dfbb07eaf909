"""`make fuzz` (bench/fuzz_x12.py) reports what it promises: a short run reads every reader and
finds nothing; an exception other than X12Error, or one the 837P reader masks as "unreadable",
is counted by where it was raised and its input saved where `--replay` finds it again."""

from __future__ import annotations

import importlib
import json
import random
from pathlib import Path
from types import ModuleType

import pytest

from bureau.x12.errors import X12Error

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture
def fuzz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    monkeypatch.syspath_prepend(str(REPO))
    module = importlib.import_module("bench.fuzz_x12")
    monkeypatch.setattr(module, "OUT", tmp_path / "fuzz")
    return module


def test_a_short_run_reads_every_reader_and_finds_nothing(fuzz: ModuleType) -> None:
    report = fuzz.run(1200, 3, budget=60, input_timeout=5)
    assert report["inputs"] == 1200 and report["complete"]
    assert set(report["per_reader"]) == {"835", "835-file", "999", "277CA", "837P", "sniff"}
    assert report["results"] > 0 and report["x12_errors"] > 0
    assert report["non_x12_error"] == 0 and report["masked"] == {} and report["over_1s"] == 0
    assert 0 < report["slowest"]["seconds"] < 1
    json.dumps(report)  # one JSON line


def test_other_exceptions_are_counted_by_place_and_saved_for_replay(
    fuzz: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    names, read = fuzz.READERS["999"]
    pool = fuzz.seeds()
    seeds = {s.text for kind in ("999", "837P") for group in pool[kind] for s in group}

    def fragile(text: str, rng: random.Random) -> object:
        if text not in seeds:
            raise KeyError("a reader bug")
        return read(text, rng)

    def masking(text: str, rng: random.Random) -> object:
        try:
            if text not in seeds:
                int("x")
        except ValueError as exc:
            raise X12Error(None, f"unreadable 837P: {exc}") from None
        return None

    monkeypatch.setitem(fuzz.READERS, "999", (names, fragile))
    monkeypatch.setitem(fuzz.READERS, "837P", (fuzz.READERS["837P"][0], masking))
    report = fuzz.run(120, 0, budget=60, input_timeout=5)

    (place,) = report["by_location"]
    assert place.startswith("KeyError at src/bureau/x12/tests/test_fuzz_harness.py:")
    # Every 999 input but the rare mutation that leaves its seed as it was.
    assert report["per_reader"]["999"] == 20 and 15 <= report["non_x12_error"] <= 20
    (masked,) = report["masked"]
    assert masked.startswith("ValueError at src/bureau/x12/tests/test_fuzz_harness.py:")
    saved = [p for p in report["saved"] if "/999-" in p]
    assert len(saved) == fuzz.SAVED_PER_LOCATION
    record = json.loads(Path(saved[0]).with_suffix(".json").read_text(encoding="utf-8"))
    assert record["reader"] == "999" and "KeyError" in record["traceback"]

    assert fuzz.replay(saved[:1]) == 1
    assert "KeyError: 'a reader bug'" in capsys.readouterr().out
