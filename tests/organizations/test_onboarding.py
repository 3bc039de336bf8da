"""Onboarding and accounts: invitations (single use, expiry, own organisation only), staff management,
deactivation that kills sessions and API tokens at once, password reset by e-mail through the outbox."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from organizations import accounts
from organizations.demo import DEMO_PASSWORD
from organizations.models import AuditEntry, Invitation, Membership, OutboxMessage

pytestmark = pytest.mark.django_db
User = get_user_model()
GOOD_PASSWORD = "Rare-Earth-2026-onboard"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with translation.override("en"):
        yield


def _token_from_outbox() -> str:
    msg = OutboxMessage.objects.filter(task_name="organizations.tasks.send_account_email").latest("id")
    return re.search(r"/invitations/([^/\s]+)/", msg.kwargs["body"]).group(1)


def test_ministry_invites_a_manager_who_accepts_once(demo_orgs, api, django_capture_on_commit_callbacks):
    huamei = demo_orgs["enterprises"]["huamei"]
    with django_capture_on_commit_callbacks(execute=True):
        r = api("miit_official").post("/api/v1/invitations/", {"email": "boss@huamei.example.cn", "role":
                                                               "enterprise_manager", "enterprise": huamei.pk},
                                      format="json")
    assert r.status_code == 201, r.json()
    # the e-mail went through the outbox (and was sent by the worker task)
    assert mail.outbox and mail.outbox[-1].to == ["boss@huamei.example.cn"]
    token = _token_from_outbox()
    anon = APIClient()
    weak = anon.post("/api/v1/invitations/accept/", {"token": token, "username": "boss", "password": "123"},
                     format="json")
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    assert not User.objects.filter(username="boss").exists()
    ok = anon.post("/api/v1/invitations/accept/", {"token": token, "username": "boss", "password": GOOD_PASSWORD},
                   format="json")
    assert ok.status_code == 201, ok.json()
    m = Membership.objects.get(user__username="boss")
    assert (m.role, m.enterprise_id) == ("enterprise_manager", huamei.pk)
    again = anon.post("/api/v1/invitations/accept/", {"token": token, "username": "boss2",
                                                      "password": GOOD_PASSWORD}, format="json")
    assert again.status_code == 400 and "already been used" in again.json()["errors"]["token"][0]
    assert not User.objects.filter(username="boss2").exists()
    assert AuditEntry.objects.filter(action="invitation.accept").count() == 1
    # the page says the same
    assert Client().get(f"/invitations/{token}/").status_code == 400


def test_an_expired_invitation_cannot_be_used(demo_orgs, user):
    inv, token = accounts.invitation_create(actor=user("miit_official"), organisation=demo_orgs["enterprises"]["hefa"],
                                            email="late@hefa.example.cn", role="enterprise_filer")
    assert inv.expires_at - inv.created_at == dt.timedelta(hours=72)
    Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = APIClient().post("/api/v1/invitations/accept/", {"token": token, "username": "late",
                                                         "password": GOOD_PASSWORD}, format="json")
    assert r.status_code == 400 and "expired" in r.json()["errors"]["token"][0]
    assert not User.objects.filter(username="late").exists()
    r = APIClient().post("/api/v1/invitations/accept/", {"token": "nonsense", "username": "x",
                                                         "password": GOOD_PASSWORD}, format="json")
    assert r.status_code == 400


def test_a_manager_invites_only_into_its_own_organisation(demo_orgs, api):
    mgr = api("huamei_manager")
    ent = demo_orgs["enterprises"]
    ok = mgr.post("/api/v1/invitations/", {"email": "f@huamei.example.cn", "role": "enterprise_filer",
                                           "enterprise": ent["huamei"].pk}, format="json")
    assert ok.status_code == 201
    before = Invitation.objects.count()
    other = mgr.post("/api/v1/invitations/", {"email": "x@hefa.example.cn", "role": "enterprise_filer",
                                              "enterprise": ent["hefa"].pk}, format="json")
    assert other.status_code == 404
    county = mgr.post("/api/v1/invitations/", {"email": "x@gov.example.cn", "role": "authority_reviewer",
                                               "authority": ent["hefa"].county_id}, format="json")
    assert county.status_code == 404
    wrong_role = mgr.post("/api/v1/invitations/", {"email": "x@huamei.example.cn", "role": "ministry_approver",
                                                   "enterprise": ent["huamei"].pk}, format="json")
    assert wrong_role.status_code == 400 and "role" in wrong_role.json()["errors"]
    # a filer is no manager
    assert api("huamei_filer").post("/api/v1/invitations/", {"email": "y@huamei.example.cn", "role":
                                                             "enterprise_filer", "enterprise": ent["huamei"].pk},
                                    format="json").status_code == 404
    assert Invitation.objects.count() == before
    # the pages: another enterprise's staff page and its members are 404
    page = Client()
    page.force_login(User.objects.get(username="huamei_manager"))
    assert page.get(f"/staff/enterprise/{ent['hefa'].pk}/").status_code == 404
    hefa_filer = User.objects.get(username="hefa_filer")
    assert page.post(f"/staff/members/{hefa_filer.pk}/", {"action": "deactivate"}).status_code == 404
    assert User.objects.get(pk=hefa_filer.pk).is_active


def test_a_deactivated_users_token_and_session_stop_working_at_once(demo_orgs, user):
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"username": "huamei_filer", "password": DEMO_PASSWORD},
                     format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/enterprises/").status_code == 200
    browser = Client()
    browser.force_login(user("huamei_filer"))
    assert browser.get("/").status_code == 200
    mgr = Client()
    mgr.force_login(user("huamei_manager"))
    r = mgr.post(f"/staff/members/{user('huamei_filer').pk}/", {"action": "deactivate"})
    assert r.status_code == 302
    assert api.get("/api/v1/enterprises/").status_code == 401
    assert browser.get("/").status_code == 302  # back to the login page
    entry = AuditEntry.objects.get(action="user.deactivate")
    assert entry.after["tokens"] == 1 and entry.after["sessions"] == 1
    # and the role of another member can be changed, audited
    mgr.post(f"/staff/members/{user('huamei_manager').pk}/", {"role": "enterprise_filer"})
    assert Membership.objects.get(user__username="huamei_manager").role == "enterprise_manager"  # not oneself


def test_manager_changes_a_role_within_its_organisation(demo_orgs, user):
    accounts.staff_change_role(actor=user("huamei_manager"), user=user("huamei_filer"), role="enterprise_manager")
    assert Membership.objects.get(user__username="huamei_filer").role == "enterprise_manager"
    assert AuditEntry.objects.filter(action="membership.role").exists()
    with pytest.raises(accounts.NotFound):
        accounts.staff_change_role(actor=user("huamei_manager"), user=user("hefa_filer"), role="enterprise_manager")


def test_password_reset_by_email_through_the_outbox(demo_orgs, django_capture_on_commit_callbacks):
    u = User.objects.get(username="hefa_filer")
    u.email = "filer@hefa.example.cn"
    u.save()
    with django_capture_on_commit_callbacks(execute=True):
        r = Client().post("/password-reset/", {"email": "filer@hefa.example.cn"})
    assert r.status_code == 200
    assert OutboxMessage.objects.filter(task_name="organizations.tasks.send_account_email").exists()
    link = re.search(r"(/password-reset/[^\s]+/)", mail.outbox[-1].body).group(1)
    c = Client()
    r = c.get(link, follow=True)
    assert r.status_code == 200
    r = c.post(r.redirect_chain[-1][0], {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert r.status_code == 302
    assert User.objects.get(pk=u.pk).check_password(GOOD_PASSWORD)
    # unknown addresses get the same page and no e-mail
    n = len(mail.outbox)
    assert Client().post("/password-reset/", {"email": "nobody@example.cn"}).status_code == 200
    assert len(mail.outbox) == n


def test_an_authoritys_staff_manager_is_appointed_by_the_ministry(demo_orgs, user):
    county = demo_orgs["counties"]["360783"]
    with pytest.raises(accounts.NotFound):  # a reviewer who manages nobody cannot invite, let alone appoint
        accounts.invitation_create(actor=user("longnan_reviewer"), organisation=county, email="x@gov.example.cn",
                                   role="authority_reviewer", manages_staff=True)
    _inv, token = accounts.invitation_create(actor=user("miit_official"), organisation=county,
                                             email="head@longnan.example.cn", role="authority_reviewer",
                                             manages_staff=True)
    head = accounts.invitation_accept(token=token, username="longnan_head", password=GOOD_PASSWORD)
    inv, _token = accounts.invitation_create(actor=head, organisation=county, email="v@longnan.example.cn",
                                             role="authority_viewer")
    assert inv.authority_id == county.pk
    with pytest.raises(accounts.NotFound):  # not the next county
        accounts.invitation_create(actor=head, organisation=demo_orgs["counties"]["360728"],
                                   email="v@dingnan.example.cn", role="authority_viewer")
