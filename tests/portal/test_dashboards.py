import pytest

USERS = ["miit_official", "miit_approver", "jiuyuan_reviewer", "baotou_viewer", "huamei_filer", "north_manager"]


@pytest.mark.parametrize("username", USERS)
def test_dashboard_renders_for_each_role(demo, page, username):
    resp = page(username).get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'class="portal-dash"' in html
