import pytest


@pytest.fixture(autouse=True)
def _bundles_in_tmp(settings, tmp_path):
    """Export bundles of a test go to its own folder, never the demo's var/."""
    settings.BUREAU_OFFBOARDING_DIR = str(tmp_path / "offboarding")
