"""Every role sees exactly its scope, in the API and in pages; out of scope answers 404."""

import pytest

from organizations.models import Enterprise

pytestmark = pytest.mark.django_db


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_ministry_sees_every_enterprise(demo_orgs, api):
    r = api("miit_official").get("/api/v1/enterprises/")
    assert r.status_code == 200
    assert r.json()["count"] == Enterprise.objects.count() == 14


def test_county_reviewer_sees_only_its_county(demo_orgs, api):
    ents = demo_orgs["enterprises"]
    client = api("jiuyuan_reviewer")
    assert ids(client.get("/api/v1/enterprises/")) == {ents["huamei"].pk, ents["hefa"].pk}
    other = ents["tianhe"]  # same city (Baotou), another county
    assert client.get(f"/api/v1/enterprises/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/enterprises/{ents['lnmine'].pk}/").status_code == 404


def test_city_and_province_viewers_see_their_subtree(demo_orgs, api):
    ents = demo_orgs["enterprises"]
    baotou = {ents[k].pk for k in ("bymine", "huamei", "hefa", "tianhe")}
    assert ids(api("baotou_viewer").get("/api/v1/enterprises/")) == baotou
    assert ids(api("nmg_viewer").get("/api/v1/enterprises/")) == baotou
    assert api("nmg_viewer").get(f"/api/v1/enterprises/{ents['fuyuan'].pk}/").status_code == 404


def test_enterprise_user_sees_only_itself(demo_orgs, api):
    ents = demo_orgs["enterprises"]
    for username in ("huamei_filer", "huamei_manager"):
        client = api(username)
        assert ids(client.get("/api/v1/enterprises/")) == {ents["huamei"].pk}
        assert client.get(f"/api/v1/enterprises/{ents['hefa'].pk}/").status_code == 404


def test_group_user_sees_its_subsidiaries(demo_orgs, api):
    ents = demo_orgs["enterprises"]
    seen = ids(api("north_manager").get("/api/v1/enterprises/"))
    assert seen == {ents[k].pk for k in ("bymine", "huamei", "hefa", "tianhe")}


def test_authorities_scoped(demo_orgs, api):
    codes = {a["code"] for a in api("baotou_viewer").get("/api/v1/authorities/?page_size=100").json()["results"]}
    assert "150200" in codes and "150207" in codes and "360783" not in codes and "150000" not in codes


def test_pages_answer_404_out_of_scope(demo_orgs, page):
    ents = demo_orgs["enterprises"]
    c = page("jiuyuan_reviewer")
    assert c.get(f"/enterprises/{ents['huamei'].pk}/").status_code == 200
    assert c.get(f"/enterprises/{ents['lnmine'].pk}/").status_code == 404
    listing = c.get("/enterprises/").content.decode()
    assert ents["huamei"].name in listing and ents["lnmine"].name not in listing


def test_anonymous_is_refused(demo_orgs, api, client):
    assert api(None).get("/api/v1/enterprises/").status_code in (401, 403)
    r = client.get("/enterprises/")
    assert r.status_code == 302 and "/login/" in r["Location"]
