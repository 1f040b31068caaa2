import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
# A copy of the source document travels with the repo so a clone anywhere can test the
# rubric texts; test_seed_copy_matches_shared checks it against ../shared/seeds when present.
SEEDS = Path(__file__).parent / "data" / "seeds"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def seed_000() -> str:
    return (SEEDS / "000_0885910b71dbd345.txt").read_text(encoding="utf-8")
