import pytest

from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["mix", "posting", "writeoffs", "underpayments"])
@pytest.mark.parametrize("suffix", ["/", "/export.csv", "/export.pdf", "/?start=2025-01-01"])
def test_smoke(name, suffix):
    url = f"/reports/{name}{suffix}"
    r = verified_client("olivia.owner").get(url)
    assert r.status_code == 200, r.content.decode()[:3000]
    if url.endswith(".csv"):
        print(r.content.decode()[:800])
    elif not url.endswith(".pdf"):
        open(f"/tmp/mix14/{name}.html", "w").write(r.content.decode())
