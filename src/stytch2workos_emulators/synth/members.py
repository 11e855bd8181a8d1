"""Member records of a synthetic project, shaped as Stytch's member search returns them.

Each organization's first member is its creator: active, verified, ``stytch_admin`` and,
where sign-in is SSO-only, break-glass. Later members draw a status (mostly active) and,
if they have ever signed in, a mix of factors. Roles carry the sources Stytch reports:
direct assignments plus the implicit grants that follow from the organization's email
rules, the member's SAML registrations and SCIM groups.
"""

from __future__ import annotations

import bisect
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field

from stytch2workos_emulators.synth.common import DAY, NOW_TS, Ids, Json, between, later, new_uuid, rfc3339
from stytch2workos_emulators.synth.orgs import OrgContext
from stytch2workos_emulators.synth.people import People, Person, case_variant, make_password, make_phone
from stytch2workos_emulators.synth.rbac import ADMIN_ROLE, CUSTOM_ROLES, MEMBER_ROLE
from stytch2workos_emulators.synth.sso import ConnectionInfo
from stytch2workos_emulators.synth.vocab import DEPARTMENTS, LOCALES

_STATUSES = ("active", "invited", "pending", "deleted")
_STATUS_CUMULATIVE = (0.85, 0.90, 0.94)
_VERIFIED_RATE = {"active": 0.97, "invited": 0.05, "pending": 0.1, "deleted": 0.9}
_OAUTH_PROVIDERS = ("google", "microsoft", "github")
_OAUTH_CUM_WEIGHTS = (55, 85, 100)
_ALNUM = string.ascii_letters + string.digits
_REUSE_RATE = 0.15


def _direct() -> Json:
    return {"type": "direct_assignment", "details": {}}


def _oauth_subject(rng: random.Random, provider: str) -> str:
    if provider == "google":
        return f"1{rng.getrandbits(64) % 10**20:020d}"
    if provider == "microsoft":
        return new_uuid(rng)
    return str(rng.randint(10_000, 99_999_999))


def _oauth_registrations(rng: random.Random, ids: Ids, person: Person) -> list[Json]:
    providers = rng.choices(
        _OAUTH_PROVIDERS, cum_weights=_OAUTH_CUM_WEIGHTS, k=2 if rng.random() < 0.1 else 1
    )
    registrations = []
    for provider in dict.fromkeys(providers):
        # One account at the provider, so the same subject in every organization.
        subject = person.oauth_subjects.get(provider)
        if subject is None:
            subject = person.oauth_subjects[provider] = _oauth_subject(rng, provider)
        registrations.append(
            {
                "provider_type": provider,
                "provider_subject": subject,
                "member_oauth_registration_id": ids("member-oauth-registration"),
                "profile_picture_url": f"https://avatars.example/{subject}.png" if rng.random() < 0.4 else "",
                "locale": rng.choice(LOCALES),
            }
        )
    return registrations


def _sso_registrations(
    rng: random.Random, ids: Ids, org: OrgContext, email: str
) -> tuple[list[Json], list[ConnectionInfo]]:
    connections = org.saml + org.oidc
    chosen = [rng.choice(connections)]
    if len(connections) > 1 and rng.random() < 0.15:
        chosen = list(connections[:2])
    registrations = []
    for connection in chosen:
        if connection.kind == "saml" and connection.identity_provider != "microsoft-entra":
            subject = email.lower()  # NameID in emailAddress format
        elif connection.identity_provider == "okta":
            subject = "00u" + "".join(rng.choices(_ALNUM, k=17))
        else:
            subject = new_uuid(rng)
        registrations.append(
            {
                "connection_id": connection.connection_id,
                "external_id": subject,
                "registration_id": ids("member-registration"),
                "sso_attributes": {},
            }
        )
    return registrations, [c for c in chosen if c.kind == "saml"]


def _scim_attributes(person: Person, email: str, subject: str, active: bool) -> Json:
    given, _, family = person.name.partition(" ")
    return {
        "user_name": email,
        "id": subject,
        "external_id": subject,
        "active": active,
        "groups": [],
        "display_name": person.name,
        "nick_name": "",
        "profile_url": "",
        "user_type": "Employee",
        "title": "",
        "preferred_language": "en",
        "locale": "en-US",
        "timezone": "UTC",
        "emails": [{"value": email, "type": "work", "primary": True}],
        "phone_numbers": [],
        "addresses": [],
        "ims": [],
        "photos": [],
        "entitlements": [],
        "roles": [],
        "x509certificates": [],
        "name": {
            "formatted": person.name,
            "family_name": family,
            "given_name": given,
            "middle_name": "",
            "honorific_prefix": "",
            "honorific_suffix": "",
        },
    }


class MemberFactory:
    """Builds member records one organization at a time, sharing people across them."""

    def __init__(self, rng: random.Random, ids: Ids) -> None:
        self.rng = rng
        self.ids = ids
        self.people = People()
        self.sequence = 0
        self._emails: set[str] = set()

    def organization_members(self, org: OrgContext, count: int) -> Iterator[tuple[Json, str | None]]:
        """``count`` members of ``org`` with each one's plaintext password (or None)."""
        self._emails = set()
        for slot in range(count):
            yield self._member(org, creator=slot == 0)

    def _person(self, org: OrgContext) -> tuple[Person, str]:
        rng = self.rng
        if rng.random() < _REUSE_RATE:
            person = self.people.existing(rng, org.organization_id, org.domains)
            if person is not None and person.email.lower() not in self._emails:
                return person, case_variant(rng, person.email)
        person = self.people.create(rng, org.domains)
        return person, person.email

    def _member(self, org: OrgContext, *, creator: bool) -> tuple[Json, str | None]:
        rng, ids = self.rng, self.ids
        self.sequence += 1
        person, email = self._person(org)
        returning = bool(person.orgs)
        person.orgs.add(org.organization_id)
        self._emails.add(email.lower())
        status = "active" if creator else _STATUSES[bisect.bisect(_STATUS_CUMULATIVE, rng.random())]
        name = person.name
        if returning and rng.random() < 0.25:
            name = rng.choice(("", person.short_name))
        elif status in ("invited", "pending") and rng.random() < 0.3:
            name = ""  # invitations are often sent to a bare address
        created = org.created if creator else between(rng, org.created, NOW_TS - DAY)
        updated = later(rng, created)
        member_id = ids("member")
        # Only members who have signed in at some point have factors.
        factors = _factors(rng, ids, org, person, email) if status in ("active", "deleted") else _Factors()
        scim_registration: Json | None = None
        scim_groups: list[tuple[str, str, str]] = []
        if org.scim is not None and status != "invited" and rng.random() < 0.7:
            scim_registration = _scim_registration(rng, ids, org.scim.connection_id, person, email, status)
            scim_groups = [g for g in org.scim.groups if rng.random() < 0.5]
        admin = creator or (status != "pending" and rng.random() < 0.04)
        roles = _roles(rng, org, email, factors.saml_used, scim_groups, admin=admin)
        locked = status == "active" and not creator and rng.random() < 0.02
        lock_created = between(rng, created, NOW_TS) if locked else 0
        retired: list[Json] = []
        if status == "active" and rng.random() < 0.03:
            local, _, mail_domain = email.partition("@")
            retired.append({"email_id": ids("member-email"), "email_address": f"{local}.old@{mail_domain}"})
        trusted: Json = {}
        if rng.random() < 0.2:
            trusted = {
                "employee_id": f"E{rng.randint(10_000, 99_999)}",
                "department": rng.choice(DEPARTMENTS),
            }
        untrusted: Json = {}
        if rng.random() < 0.15:
            untrusted = {"theme": rng.choice(("dark", "light")), "onboarding_complete": rng.random() < 0.7}
        breakglass = (creator and org.sso_only) or (status == "active" and rng.random() < 0.005)
        member = {
            "organization_id": org.organization_id,
            "member_id": member_id,
            "external_id": f"hr-{self.sequence:07d}" if rng.random() < 0.15 else None,
            "email_address": email,
            "email_address_verified": creator or rng.random() < _VERIFIED_RATE[status],
            "status": status,
            "name": name,
            "is_breakglass": breakglass,
            "is_admin": ADMIN_ROLE in roles,
            "is_locked": locked,
            "lock_created_at": rfc3339(lock_created) if locked else None,
            "lock_expires_at": rfc3339(lock_created + 3600) if locked else None,
            "member_password_id": factors.password_id,
            "totp_registration_id": factors.totp_id,
            "mfa_enrolled": factors.mfa_enrolled,
            "mfa_phone_number": factors.phone,
            "mfa_phone_number_verified": factors.phone_verified,
            "default_mfa_method": factors.default_mfa,
            "retired_email_addresses": retired,
            "oauth_registrations": factors.oauth,
            "sso_registrations": factors.sso,
            "scim_registration": scim_registration,
            "roles": [{"role_id": role_id, "sources": sources} for role_id, sources in roles.items()],
            "trusted_metadata": trusted,
            "untrusted_metadata": untrusted,
            "created_at": rfc3339(created),
            "updated_at": rfc3339(max(updated, lock_created)),
        }
        return member, factors.password or None


@dataclass(slots=True)
class _Factors:
    """Authentication factors of one member; the defaults are "none" as Stytch spells it."""

    password: str = ""
    password_id: str = ""
    totp_id: str = ""
    phone: str = ""
    phone_verified: bool = False
    mfa_enrolled: bool = False
    default_mfa: str = ""
    oauth: list[Json] = field(default_factory=list)
    sso: list[Json] = field(default_factory=list)
    saml_used: list[ConnectionInfo] = field(default_factory=list)


def _factors(rng: random.Random, ids: Ids, org: OrgContext, person: Person, email: str) -> _Factors:
    factors = _Factors()
    # People who use passwords tend to use them in every organization they join...
    if rng.random() < (0.3 if person.password is None else 0.6):
        factors.password_id = ids("member-password")
        # ...though not necessarily the same password.
        if person.password is None or rng.random() < 0.5:
            person.password = make_password(rng)
        factors.password = person.password
    if rng.random() < 0.22:
        factors.oauth = _oauth_registrations(rng, ids, person)
    if (org.saml or org.oidc) and rng.random() < (0.95 if org.sso_only else 0.6):
        factors.sso, factors.saml_used = _sso_registrations(rng, ids, org, email)
    mfa_rate = 0.45 if org.mfa_required else 0.1
    if rng.random() < mfa_rate:
        factors.totp_id = ids("member-totp")
        factors.mfa_enrolled, factors.default_mfa = True, "totp"
    if rng.random() < mfa_rate * 0.8:
        factors.phone = person.phone = person.phone or make_phone(rng)
        factors.phone_verified = factors.mfa_enrolled = True
        if not factors.default_mfa or rng.random() < 0.3:
            factors.default_mfa = "sms_otp"
    elif rng.random() < 0.02:
        factors.phone = make_phone(rng)  # entered but never confirmed
    return factors


def _scim_registration(
    rng: random.Random, ids: Ids, connection_id: str, person: Person, email: str, status: str
) -> Json:
    subject = new_uuid(rng)
    # Stytch only returns the full SCIM attributes for some registrations; the SDK model
    # requires every field once the object is present, so it is all or nothing.
    attributes = _scim_attributes(person, email, subject, status != "deleted") if rng.random() < 0.2 else None
    return {
        "connection_id": connection_id,
        "registration_id": ids("scim-registration"),
        "external_id": subject,
        "scim_attributes": attributes,
    }


def _roles(
    rng: random.Random,
    org: OrgContext,
    email: str,
    saml_used: list[ConnectionInfo],
    scim_groups: list[tuple[str, str, str]],
    *,
    admin: bool,
) -> dict[str, list[Json]]:
    """Role id → sources, direct assignments first, then the implicit grants that apply."""
    roles: dict[str, list[Json]] = {MEMBER_ROLE: [_direct()]}
    if admin:
        roles[ADMIN_ROLE] = [_direct()]
    if rng.random() < 0.25:
        for role_id in rng.sample(CUSTOM_ROLES, 2 if rng.random() < 0.2 else 1):
            roles.setdefault(role_id, []).append(_direct())
    if org.custom_role_ids and rng.random() < 0.3:
        roles.setdefault(rng.choice(org.custom_role_ids), []).append(_direct())
    domain = email.rpartition("@")[2].lower()
    for rule_domain, role_id in org.email_roles:
        if rule_domain == domain:
            source = {"type": "email_assignment", "details": {"email_domain": rule_domain}}
            roles.setdefault(role_id, []).append(source)
    for connection in saml_used:
        for role_id in connection.implicit_roles:
            source = {"type": "sso_connection", "details": {"connection_id": connection.connection_id}}
            roles.setdefault(role_id, []).append(source)
        for group, role_id in connection.group_roles:
            if rng.random() < 0.45:
                details = {"connection_id": connection.connection_id, "group": group}
                roles.setdefault(role_id, []).append({"type": "sso_connection_group", "details": details})
    if org.scim is not None:
        for group_id, _, role_id in scim_groups:
            details = {"connection_id": org.scim.connection_id, "group_id": group_id}
            roles.setdefault(role_id, []).append({"type": "scim_connection_group", "details": details})
    return roles
