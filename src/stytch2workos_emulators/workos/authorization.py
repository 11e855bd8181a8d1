"""``/authorization/...``: permissions, environment roles and organization (custom) roles.

What the emulator follows (OpenAPI v0.61.0, SDK 10.8 ``authorization/_resource.py``):

* Permissions are listed with cursor pagination (``limit`` 1-100, default 10);
  environment and organization role lists are not paginated and come in
  priority order (environment roles first; new roles go to the bottom).
* Slugs and names are at most 48 characters, descriptions at most 150. A
  permission slug is lowercase letters, digits and ``- _ : . *``; an environment
  role slug lowercase letters, digits, ``-`` and ``_``; an organization role
  slug the same behind a required ``org-`` prefix, and generated from the name
  plus a random suffix when omitted.
* Duplicates are 409 ``permission_slug_conflict``, ``role_slug_conflict`` and
  ``organization_role_slug_conflict``; unknown objects 404 ``entity_not_found``.
* Updates are PATCH (slugs are immutable); deletes answer 204. System
  permissions cannot be changed or deleted (403).

Where the sources leave a gap the emulator chooses, and says so:

* a permission slug on a role that names no permission is 422 ``invalid_permission``,
  like the memberships API's 422 ``invalid_role``;
* the only resource type is ``organization``; any other ``resource_type_slug`` is a 404;
* the organization-role endpoints change only that organization's custom roles: an
  environment role there is readable (GET) but not found for changes;
* deleting a custom role hands its memberships to their other roles or the default
  role, as the roles guide describes; the spec's 409 ``role_has_assignments``
  concerns resource role assignments, which this emulator does not hold.
"""

from __future__ import annotations

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.authorization_fields import (
    ORG_ROLE_RULE,
    ORG_ROLE_SLUG,
    PERMISSION_RULE,
    PERMISSION_SLUG,
    ROLE_RULE,
    ROLE_SLUG,
    description_field,
    generated_org_slug,
    name_field,
    resource_type_field,
    slug_field,
)
from stytch2workos_emulators.workos.errors import body_of, fail, field_error, not_found, text
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.models import Permission, Role, permission_json, role_json
from stytch2workos_emulators.workos.state import State

# -- shared handler pieces -----------------------------------------------------------------------


class _RoleEdits:
    """Name, description and permission changes, the same for both kinds of role."""

    def __init__(self, state: State) -> None:
        self.state = state

    def _known(self, slug: str) -> str:
        if self.state.permission(slug) is None:
            fail(
                422,
                "invalid_permission",
                f"Permission '{slug}' does not exist; create it with POST /authorization/permissions first.",
                permission_slug=slug,
            )
        return slug

    def _touch(self, role: Role) -> Response:
        role.updated_at = self.state.ids.now()
        return Response(200, role_json(role))

    def update(self, role: Role, request: Request) -> Response:
        body = body_of(request)
        name = name_field(body, required=False)
        sent, description = description_field(body)
        if name is not None:
            role.name = name
        if sent:
            role.description = description
        return self._touch(role)

    def set_permissions(self, role: Role, request: Request) -> Response:
        wanted = body_of(request).get("permissions")
        if not isinstance(wanted, list) or not all(isinstance(s, str) for s in wanted):
            field_error(
                "permissions", "permissions_array_required", "permissions must be an array of strings."
            )
        role.permissions = [self._known(s) for s in dict.fromkeys(wanted)]
        return self._touch(role)

    def add_permission(self, role: Role, request: Request) -> Response:
        slug = text(body_of(request), "slug", required=True)
        assert slug is not None
        if self._known(slug) in role.permissions:  # documented as a no-op
            return Response(200, role_json(role))
        role.permissions.append(slug)
        return self._touch(role)


# -- permissions ---------------------------------------------------------------------------------


class PermissionsAPI:
    """The environment's permissions, paginated by creation time like other WorkOS lists."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/authorization/permissions", self.list),
            ("POST", "/authorization/permissions", self.create),
            ("GET", "/authorization/permissions/{slug}", self.get),
            ("PATCH", "/authorization/permissions/{slug}", self.update),
            ("DELETE", "/authorization/permissions/{slug}", self.delete),
        ]

    def _permission(self, slug: str, *, changing: bool = False) -> Permission:
        found = self.state.permission(slug)
        if found is None:
            not_found("Permission", slug)
        if changing and found.system:
            fail(
                403,
                "forbidden",
                f"Permission '{slug}' is a system permission and cannot be changed or deleted.",
            )
        return found

    def list(self, request: Request) -> Response:
        return Response(200, list_page(request, self.state.permissions, permission_json))

    def create(self, request: Request) -> Response:
        body = body_of(request)
        slug = slug_field(body, PERMISSION_SLUG, PERMISSION_RULE)
        name = name_field(body, required=True)
        assert name is not None
        _, description = description_field(body)
        resource_type = resource_type_field(body)
        if self.state.permission(slug) is not None:
            fail(409, "permission_slug_conflict", f"A permission with slug '{slug}' already exists.")
        permission_id, now = self.state.ids.stamp("perm")
        created = Permission(permission_id, slug, name, now, now, description)
        created.resource_type_slug = resource_type
        self.state.add_permission(created)
        return Response(201, permission_json(created))

    def get(self, request: Request) -> Response:
        return Response(200, permission_json(self._permission(request.params["slug"])))

    def update(self, request: Request) -> Response:
        found = self._permission(request.params["slug"], changing=True)
        body = body_of(request)
        name = name_field(body, required=False)
        sent, description = description_field(body)
        if name is not None:
            found.name = name
        if sent:
            found.description = description
        found.updated_at = self.state.ids.now()
        return Response(200, permission_json(found))

    def delete(self, request: Request) -> Response:
        self.state.remove_permission(self._permission(request.params["slug"], changing=True))
        return Response(204)


# -- environment roles ---------------------------------------------------------------------------


class EnvironmentRolesAPI:
    """Roles every organization shares; the API neither deletes nor reorders them."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.edits = _RoleEdits(state)

    def routes(self) -> list[tuple[str, str, Handler]]:
        base = "/authorization/roles"
        return [
            ("GET", base, self.list),
            ("POST", base, self.create),
            ("GET", base + "/{slug}", self.get),
            ("PATCH", base + "/{slug}", self.update),
            ("PUT", base + "/{slug}/permissions", self.set_permissions),
            ("POST", base + "/{slug}/permissions", self.add_permission),
        ]

    def _role(self, request: Request) -> Role:
        slug = request.params["slug"]
        role = self.state.env_roles.get(slug)
        if role is None:
            not_found("Role", slug)
        return role

    def list(self, request: Request) -> Response:
        roles = [role_json(r) for r in self.state.env_roles.values()]
        return Response(200, {"object": "list", "data": roles})

    def create(self, request: Request) -> Response:
        body = body_of(request)
        slug = slug_field(body, ROLE_SLUG, ROLE_RULE)
        name = name_field(body, required=True)
        assert name is not None
        _, description = description_field(body)
        resource_type = resource_type_field(body)
        if slug in self.state.env_roles:
            fail(409, "role_slug_conflict", f"An environment role with slug '{slug}' already exists.")
        role = self.state.new_role(slug, name, description)
        role.resource_type_slug = resource_type
        self.state.env_roles[slug] = role
        return Response(201, role_json(role))

    def get(self, request: Request) -> Response:
        return Response(200, role_json(self._role(request)))

    def update(self, request: Request) -> Response:
        return self.edits.update(self._role(request), request)

    def set_permissions(self, request: Request) -> Response:
        return self.edits.set_permissions(self._role(request), request)

    def add_permission(self, request: Request) -> Response:
        return self.edits.add_permission(self._role(request), request)


# -- organization roles --------------------------------------------------------------------------


class OrganizationRolesAPI:
    """An organization's custom roles; its lists and reads include the environment roles."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.edits = _RoleEdits(state)

    def routes(self) -> list[tuple[str, str, Handler]]:
        base = "/authorization/organizations/{organizationId}/roles"
        return [
            ("GET", base, self.list),
            ("POST", base, self.create),
            ("GET", base + "/{slug}", self.get),
            ("PATCH", base + "/{slug}", self.update),
            ("DELETE", base + "/{slug}", self.delete),
            ("PUT", base + "/{slug}/permissions", self.set_permissions),
            ("POST", base + "/{slug}/permissions", self.add_permission),
            ("DELETE", base + "/{slug}/permissions/{permissionSlug}", self.remove_permission),
        ]

    def _org_id(self, request: Request) -> str:
        org_id = request.params["organizationId"]
        if org_id not in self.state.orgs.by_id:
            not_found("Organization", org_id)
        return org_id

    def _custom(self, request: Request) -> Role:
        """The organization's own role; environment roles change only through /authorization/roles."""
        org_id, slug = self._org_id(request), request.params["slug"]
        role = self.state.org_roles.get(org_id, {}).get(slug)
        if role is None:
            not_found("Organization role", slug)
        return role

    def list(self, request: Request) -> Response:
        roles = [role_json(r) for r in self.state.roles_for(self._org_id(request))]
        return Response(200, {"object": "list", "data": roles})

    def create(self, request: Request) -> Response:
        body = body_of(request)
        name = name_field(body, required=True)
        assert name is not None
        slug = slug_field(body, ORG_ROLE_SLUG, ORG_ROLE_RULE) if body.get("slug") is not None else None
        _, description = description_field(body)
        resource_type = resource_type_field(body)
        org_id = self._org_id(request)
        if slug is None:
            slug = generated_org_slug(name)
        if self.state.find_role(org_id, slug) is not None:
            fail(
                409,
                "organization_role_slug_conflict",
                f"A role with slug '{slug}' already exists for organization '{org_id}'.",
            )
        role = self.state.new_role(slug, name, description, organization_id=org_id)
        role.resource_type_slug = resource_type
        self.state.org_roles.setdefault(org_id, {})[slug] = role
        return Response(201, role_json(role))

    def get(self, request: Request) -> Response:
        org_id, slug = self._org_id(request), request.params["slug"]
        role = self.state.find_role(org_id, slug)
        if role is None:
            not_found("Role", slug)
        return Response(200, role_json(role))

    def update(self, request: Request) -> Response:
        return self.edits.update(self._custom(request), request)

    def delete(self, request: Request) -> Response:
        self.state.remove_org_role(self._custom(request))
        return Response(204)

    def set_permissions(self, request: Request) -> Response:
        return self.edits.set_permissions(self._custom(request), request)

    def add_permission(self, request: Request) -> Response:
        return self.edits.add_permission(self._custom(request), request)

    def remove_permission(self, request: Request) -> Response:
        role = self._custom(request)
        slug = request.params["permissionSlug"]
        if self.state.permission(slug) is None:
            not_found("Permission", slug)
        if slug not in role.permissions:  # already absent: nothing to do, like adding twice
            return Response(200, role_json(role))
        role.permissions.remove(slug)
        role.updated_at = self.state.ids.now()
        return Response(200, role_json(role))
