//! The imitated Okta custom admin roles and resource sets (`/api/v1/iam/...`), what
//! `connect --least-privilege` uses. Routing and permission checks are in
//! [`super::okta`]; every write needs `SUPER_ADMIN`, reads any admin role.
//!
//! Choices where Okta's documents are silent:
//! - Lists (`roles`, `resource-sets`, `resources`) answer one page of `page_size` items
//!   with `_links.next.href` carrying an `after` cursor (the last item's id), as the
//!   reference document's `LinksNext` describes.
//! - A label is unique per kind: creating a second role or resource set with the same
//!   label answers 400 `E0000001`.
//! - Only the permissions of the reference document's examples and the read/manage pairs
//!   of users, groups and apps are known; another name answers 400 `E0000001`.
//! - Resources are given as REST URLs of this org (`{org}/api/v1/users`, `.../groups`,
//!   `.../apps`) or ORNs; listed with an ORN and the REST URL in `_links.self.href`.
//! - A role or resource set that a client's `CUSTOM` assignment uses cannot be deleted:
//!   400 `E0000001` (unassign it first).

use serde_json::{Value, json};

use super::okta::{error, not_found};
use super::state::{CustomRole, OktaState, ResourceSet, ResourceSetResource};
use super::util::{Req, Resp, iso_now, okta_id, remove_where};

/// Permissions a custom role may hold here.
const KNOWN_PERMISSIONS: &[&str] = &[
    "okta.users.read",
    "okta.users.manage",
    "okta.groups.read",
    "okta.groups.manage",
    "okta.apps.read",
    "okta.apps.manage",
    "okta.users.create",
    "okta.users.userprofile.manage",
    "okta.groups.members.manage",
];

/// The resource kinds a resource set may hold here (the last segment of the REST URL).
const KNOWN_RESOURCES: &[&str] = &["users", "groups", "apps"];

fn validation(field: &str, cause: String) -> Resp {
    error(
        400,
        "E0000001",
        &format!("Api validation failed: {field}"),
        &[cause],
    )
}

/// One page of a body-paginated IAM list, with `_links.next` when more follow.
fn page(
    okta: &OktaState,
    req: &Req,
    key: &str,
    items: Vec<(String, Value)>,
    page_size: usize,
) -> Resp {
    let after = req.query_param("after");
    let start = match &after {
        None => 0,
        Some(a) => match items.iter().position(|(id, _)| id == a) {
            Some(i) => i + 1,
            None => return validation("after", format!("after: '{a}' is not a valid cursor")),
        },
    };
    let rest: Vec<&(String, Value)> = items.iter().skip(start).collect();
    let shown: Vec<Value> = rest
        .iter()
        .take(page_size)
        .map(|(_, v)| v.clone())
        .collect();
    let mut links = json!({"self": {"href": format!("{}{}", okta.org_url, req.path)}});
    if rest.len() > page_size
        && let Some((last, _)) = rest.get(page_size - 1)
    {
        links["next"] = json!({"href": format!("{}{}?after={last}", okta.org_url, req.path)});
    }
    let mut body = serde_json::Map::new();
    body.insert(key.to_string(), Value::Array(shown));
    body.insert("_links".to_string(), links);
    Resp::json(200, Value::Object(body))
}

fn label_of(body: &Value) -> &str {
    body["label"].as_str().unwrap_or("").trim()
}

/// A create body's `label` and `description`: both required, the label unused
/// (`taken` says whether another object of the kind has it).
fn named(body: &Value, kind: &str, taken: bool) -> Result<(String, String), Resp> {
    let text = |k: &str| body[k].as_str().unwrap_or("").trim().to_string();
    let (label, description) = (text("label"), text("description"));
    for (field, value) in [("label", &label), ("description", &description)] {
        if value.is_empty() {
            return Err(validation(
                field,
                format!("{field}: The field cannot be left blank"),
            ));
        }
    }
    if taken {
        return Err(validation(
            "label",
            format!("label: A {kind} with label '{label}' already exists."),
        ));
    }
    Ok((label, description))
}

pub(crate) fn list_roles(okta: &OktaState, req: &Req, page_size: usize) -> Resp {
    let items = okta
        .custom_roles
        .iter()
        .map(|r| (r.id.clone(), r.render(&okta.org_url)))
        .collect();
    page(okta, req, "roles", items, page_size)
}

pub(crate) fn create_role(okta: &mut OktaState, req: &Req) -> Resp {
    let body = req.json.clone().unwrap_or_default();
    let taken = okta.custom_role(label_of(&body)).is_some();
    let (label, description) = match named(&body, "role", taken) {
        Ok(named) => named,
        Err(resp) => return resp,
    };
    let permissions: Vec<String> = body["permissions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if permissions.is_empty() {
        return validation(
            "permissions",
            "permissions: The field cannot be left blank".into(),
        );
    }
    if let Some(unknown) = permissions
        .iter()
        .find(|p| !KNOWN_PERMISSIONS.contains(&p.as_str()))
    {
        return validation(
            "permissions",
            format!("permissions: '{unknown}' is not a valid permission."),
        );
    }
    let role = CustomRole {
        id: okta_id("cr0"),
        label,
        description,
        permissions,
        created: iso_now(),
    };
    let out = role.render(&okta.org_url);
    okta.custom_roles.push(role);
    Resp::json(200, out)
}

pub(crate) fn get_role(okta: &OktaState, id: &str) -> Resp {
    match okta.custom_role(id) {
        Some(role) => Resp::json(200, role.render(&okta.org_url)),
        None => not_found(id, "CustomRole"),
    }
}

pub(crate) fn delete_role(okta: &mut OktaState, id: &str) -> Resp {
    let Some(role_id) = okta.custom_role(id).map(|r| r.id.clone()) else {
        return not_found(id, "CustomRole");
    };
    if assigned(okta, "role", &role_id) {
        return validation(
            "role",
            format!("role: The role '{role_id}' is assigned; unassign it first."),
        );
    }
    remove_where(&mut okta.custom_roles, |r| r.id == role_id);
    Resp::empty(204)
}

/// Whether some client's `CUSTOM` assignment uses this role or resource set.
fn assigned(okta: &OktaState, key: &str, id: &str) -> bool {
    okta.apps
        .iter()
        .flat_map(|a| &a.roles)
        .any(|r| r.custom[key].as_str() == Some(id))
}

pub(crate) fn list_permissions(okta: &OktaState, id: &str) -> Resp {
    let Some(role) = okta.custom_role(id) else {
        return not_found(id, "CustomRole");
    };
    let permissions: Vec<Value> = role
        .permissions
        .iter()
        .map(|p| {
            json!({
                "label": p,
                "created": role.created,
                "lastUpdated": role.created,
                "_links": {
                    "self": {"href": format!("{}/api/v1/iam/roles/{}/permissions/{p}", okta.org_url, role.id)},
                    "role": {"href": format!("{}/api/v1/iam/roles/{}", okta.org_url, role.id)}
                }
            })
        })
        .collect();
    Resp::json(200, json!({ "permissions": permissions }))
}

pub(crate) fn add_permission(okta: &mut OktaState, id: &str, permission: &str) -> Resp {
    if !KNOWN_PERMISSIONS.contains(&permission) {
        return validation(
            "permissionType",
            format!("permissionType: '{permission}' is not a valid permission."),
        );
    }
    let Some(role) = okta.custom_role_mut(id) else {
        return not_found(id, "CustomRole");
    };
    if !role.permissions.iter().any(|p| p == permission) {
        role.permissions.push(permission.to_string());
    }
    Resp::empty(204)
}

pub(crate) fn delete_permission(okta: &mut OktaState, id: &str, permission: &str) -> Resp {
    let Some(role) = okta.custom_role_mut(id) else {
        return not_found(id, "CustomRole");
    };
    if remove_where(&mut role.permissions, |p| p == permission) {
        Resp::empty(204)
    } else {
        not_found(permission, "Permission")
    }
}

pub(crate) fn list_resource_sets(okta: &OktaState, req: &Req, page_size: usize) -> Resp {
    let items = okta
        .resource_sets
        .iter()
        .map(|r| (r.id.clone(), r.render(&okta.org_url)))
        .collect();
    page(okta, req, "resource-sets", items, page_size)
}

/// A resource as given (REST URL of this org or ORN) as this org's REST URL.
fn resource_url(okta: &OktaState, given: &str) -> Option<String> {
    let kind = match given.strip_prefix(&format!("{}/api/v1/", okta.org_url)) {
        Some(kind) => kind,
        None => given
            .strip_prefix("orn:okta:directory:")
            .and_then(|rest| rest.rsplit(':').next())?,
    };
    KNOWN_RESOURCES
        .contains(&kind)
        .then(|| format!("{}/api/v1/{kind}", okta.org_url))
}

/// Reads a list of resources, or the 400 naming the first one this org does not know.
fn resource_urls(okta: &OktaState, given: &Value, field: &str) -> Result<Vec<String>, Resp> {
    let mut urls = Vec::new();
    for item in given.as_array().into_iter().flatten() {
        let text = item.as_str().unwrap_or("");
        match resource_url(okta, text) {
            Some(url) if !urls.contains(&url) => urls.push(url),
            Some(_) => {}
            None => {
                return Err(validation(
                    field,
                    format!("{field}: '{text}' is not a resource of this organization."),
                ));
            }
        }
    }
    Ok(urls)
}

pub(crate) fn create_resource_set(okta: &mut OktaState, req: &Req) -> Resp {
    let body = req.json.clone().unwrap_or_default();
    let taken = okta.resource_set(label_of(&body)).is_some();
    let (label, description) = match named(&body, "resource set", taken) {
        Ok(named) => named,
        Err(resp) => return resp,
    };
    let urls = match resource_urls(okta, &body["resources"], "resources") {
        Ok(urls) if urls.is_empty() => {
            return validation(
                "resources",
                "resources: The field cannot be left blank".into(),
            );
        }
        Ok(urls) => urls,
        Err(resp) => return resp,
    };
    let set = ResourceSet {
        id: okta_id("iam"),
        label,
        description,
        resources: urls.into_iter().map(new_resource).collect(),
        created: iso_now(),
    };
    let out = set.render(&okta.org_url);
    okta.resource_sets.push(set);
    Resp::json(200, out)
}

fn new_resource(url: String) -> ResourceSetResource {
    ResourceSetResource {
        id: okta_id("ire"),
        url,
        created: iso_now(),
    }
}

pub(crate) fn get_resource_set(okta: &OktaState, id: &str) -> Resp {
    match okta.resource_set(id) {
        Some(set) => Resp::json(200, set.render(&okta.org_url)),
        None => not_found(id, "ResourceSet"),
    }
}

pub(crate) fn delete_resource_set(okta: &mut OktaState, id: &str) -> Resp {
    let Some(set_id) = okta.resource_set(id).map(|r| r.id.clone()) else {
        return not_found(id, "ResourceSet");
    };
    if assigned(okta, "resource-set", &set_id) {
        return validation(
            "resourceSet",
            format!("resourceSet: The resource set '{set_id}' is assigned; unassign it first."),
        );
    }
    remove_where(&mut okta.resource_sets, |r| r.id == set_id);
    Resp::empty(204)
}

pub(crate) fn list_resources(okta: &OktaState, req: &Req, id: &str, page_size: usize) -> Resp {
    let Some(set) = okta.resource_set(id) else {
        return not_found(id, "ResourceSet");
    };
    let items = set
        .resources
        .iter()
        .map(|r| (r.id.clone(), r.render(&okta.org_url, &set.id)))
        .collect();
    page(okta, req, "resources", items, page_size)
}

pub(crate) fn add_resources(okta: &mut OktaState, req: &Req, id: &str) -> Resp {
    let body = req.json.clone().unwrap_or_default();
    let urls = match resource_urls(okta, &body["additions"], "additions") {
        Ok(urls) => urls,
        Err(resp) => return resp,
    };
    let org_url = okta.org_url.clone();
    let Some(set) = okta.resource_set_mut(id) else {
        return not_found(id, "ResourceSet");
    };
    for url in urls {
        if !set.has_resource(&url) {
            set.resources.push(new_resource(url));
        }
    }
    Resp::json(200, set.render(&org_url))
}

pub(crate) fn delete_resource(okta: &mut OktaState, id: &str, resource: &str) -> Resp {
    let Some(set) = okta.resource_set_mut(id) else {
        return not_found(id, "ResourceSet");
    };
    if remove_where(&mut set.resources, |r| r.id == resource) {
        Resp::empty(204)
    } else {
        not_found(resource, "ResourceSetResource")
    }
}
