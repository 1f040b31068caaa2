import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
if not SEEDS.exists():  # the seeds are also found beside a clean clone's parent
    SEEDS = Path(os.environ.get("KAOHE_SEEDS", SEEDS))

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def seed_000() -> str:
    path = SEEDS / "000_0885910b71dbd345.txt"
    if not path.exists():
        pytest.fail(f"source document not found: {path} (set KAOHE_SEEDS to the seeds folder)")
    return path.read_text(encoding="utf-8")
