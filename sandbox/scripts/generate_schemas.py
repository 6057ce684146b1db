#!/usr/bin/env python3
"""Turns the vendored reference documents into the JSON Schemas the contract checker uses.

Inputs (vendored, unmodified; provenance in sandbox/tests/fixtures/README.md):
  sandbox/tests/fixtures/okta-management-2026.06.3-subset.yaml  (Okta Management API, OpenAPI 3.0.3)
  sandbox/tests/fixtures/apono-public-api-subset.json           (Apono public API, OpenAPI 3.0)
Outputs (checked in; do not edit by hand, re-run this script):
  sandbox/schemas/okta.json, sandbox/schemas/apono.json
  sandbox/schemas/okta-examples.json  (Okta's own examples, for tests/contract_selftest.rs)

Re-run from the repository root after changing an input or this script:
  python3 sandbox/scripts/generate_schemas.py        (needs PyYAML: pip install pyyaml)
and commit the outputs; the output is deterministic (keys sorted).

Each output file (JSON Schema draft 7, the dialect `src/contract.rs` compiles with):
  "operations": {"METHOD /path/{template}": {
      "request": null (the operation takes no body)
               | {"required": bool, "schema": schema | null (no application/json body)},
      "responses": {"200" | "4XX" | "default" ...: schema | null (no JSON body)},
      "auth": false (present only when the operation declares `security: []`, as Okta's
                     org metadata does: the request must carry no Authorization header;
                     absent, the service's token is required)}}
  "undocumented_error": schema | null  -- what an undocumented error status must answer
  "definitions": {"request": {Name: schema}, "response": {Name: schema}}
Every `$ref` in a schema is `#/definitions/<Name>`, resolved against the definitions of
its direction (request schemas against "request", response schemas against "response");
the checker compiles each schema beside them. Non-schema references (responses,
request bodies, examples) are resolved here.

OpenAPI 3.0 -> JSON Schema, and the repairs of upstream gaps (each also listed in
sandbox/tests/fixtures/README.md, "Known gaps"), are the functions below, each named
where it is applied in `convert`.
"""

import copy
import json
import re
import sys
from pathlib import Path

import yaml

SANDBOX = Path(__file__).resolve().parent.parent
FIXTURES = SANDBOX / "tests" / "fixtures"
OUT = SANDBOX / "schemas"
OKTA_FILE = "okta-management-2026.06.3-subset.yaml"
APONO_FILE = "apono-public-api-subset.json"
METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 core scalars, as the Rust `serde_yaml` read these documents before:
    PyYAML's YAML 1.1 would turn `yes`/`no`/`on`/`off` into booleans, dates into
    timestamps and `1:20` into a sexagesimal number."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))


def construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", construct_int)


def walk(value, fn):
    """Applies `fn` to every object in `value`, children first."""
    if isinstance(value, list):
        for item in value:
            walk(item, fn)
    elif isinstance(value, dict):
        for item in value.values():
            walk(item, fn)
        fn(value)


def schema_name(reference):
    """`X` from `#/components/schemas/X` (or from a bare `X`, as mappings may say)."""
    return reference.rsplit("/", 1)[-1]


def convert_discriminators(schema):
    """Repair: makes `oneOf`/`anyOf` + `discriminator` mean what OpenAPI says. JSON Schema
    ignores `discriminator`, and Okta's role schemas (`StandardRole`, `CustomRole`) both
    accept every role type, so every real role response would be "valid under more than
    one of the schemas listed in the 'oneOf' keyword". Each `$ref` member M becomes
    `{"allOf": [M, {"properties": {P: {"enum": values}}, "required": [P]}]}`; values are
    the mapping keys naming M, else M's schema name (the OpenAPI default). A discriminator
    on a plain schema (`Application`'s, an inheritance hierarchy) is left alone: see
    `select_app_schema`."""
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, dict) or "propertyName" not in discriminator:
        return
    prop = discriminator["propertyName"]
    mapping = [(k, schema_name(v)) for k, v in (discriminator.get("mapping") or {}).items()]
    for keyword in ("oneOf", "anyOf"):
        members = schema.get(keyword)
        if not isinstance(members, list):
            continue
        for i, member in enumerate(members):
            if not isinstance(member, dict) or "$ref" not in member:
                continue
            name = schema_name(member["$ref"])
            values = [k for k, target in mapping if target == name] or [name]
            members[i] = {
                "allOf": [member, {"properties": {prop: {"enum": values}}, "required": [prop]}]
            }


def make_nullable(schema):
    """A plain typed schema gets "null" added to its `type` (and `enum`); a schema built
    from `$ref`/`allOf`/`anyOf`/`oneOf` is wrapped in `anyOf: [{"type": "null"}, schema]`,
    since adding "null" to its own `type` would still fail in the composed members."""
    if any(k in schema for k in ("$ref", "allOf", "anyOf", "oneOf")):
        inner = dict(schema)
        schema.clear()
        schema["anyOf"] = [{"type": "null"}, inner]
        return
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        kind.append("null")
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"].append(None)


def convert_nullable(schema):
    """OpenAPI 3.0 `nullable: true` -> JSON Schema accepting `null` there too;
    `nullable: false` is dropped."""
    nullable = schema.pop("nullable", None)
    if nullable is True:
        make_nullable(schema)


# Repair: Okta's `ApiToken.tokenWindow` pattern, `^P(?:$)(\d+Y)?...(T(?:\d)...)?$`,
# matches only the string "P": `(?:$)` and `(?:\d)` are broken lookaheads. It rejects
# every real duration ("P30D", "PT5M", Okta's own examples). Repaired as the lookaheads
# it means.
BROKEN_PATTERN = r"^P(?:$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?:\d)(\d+H)?(\d+M)?(\d+S)?)?$"
REPAIRED_PATTERN = r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"


def repair_patterns(schema):
    if schema.get("pattern") == BROKEN_PATTERN:
        schema["pattern"] = REPAIRED_PATTERN


def drop_ref_siblings(schema):
    """OpenAPI 3.0 (like draft 4) ignores the siblings of `$ref`; say so explicitly, so the
    dialect the checker compiles with does not matter."""
    if "$ref" in schema:
        ref = schema["$ref"]
        schema.clear()
        schema["$ref"] = "#/definitions/" + schema_name(ref)


def allow_null_when_optional(schema):
    """Repair, response bodies only: a property that is not `required` may also be
    `null`. Okta answers with `null` for optional fields it has no value for (its own
    examples carry `"errorRedirectUrl": null`, `"notes": {"admin": null}`) while the
    document does not mark them `nullable`. Requests stay strict."""
    required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            if name not in required and isinstance(sub, dict):
                make_nullable(sub)


def convert(document):
    """The whole document with every schema converted: (request variant, response variant)."""
    for fn in (convert_discriminators, convert_nullable, repair_patterns):
        walk(document, fn)
    response = copy.deepcopy(document)
    walk(response, allow_null_when_optional)
    return document, response


def resolve(document, value):
    """Follows `$ref` on a non-schema object (request body, response, example)."""
    for _ in range(16):
        if not isinstance(value, dict) or "$ref" not in value:
            return value
        target = value["$ref"]
        assert target.startswith("#/"), f"non-local $ref {target!r}"
        value = document
        for token in target[2:].split("/"):
            value = value[token.replace("~1", "/").replace("~0", "~")]
    raise ValueError("$ref chain too long")


def json_schema(document, holder):
    schema = ((holder or {}).get("content") or {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    schema = copy.deepcopy(schema)
    walk(schema, drop_ref_siblings)
    return schema


APP_REF = {"$ref": "#/definitions/Application"}
OIDC_APP_REF = {"$ref": "#/definitions/OpenIdConnectApplication"}


def select_app_schema(schema):
    """Repair: Okta documents app responses as `Application`, whose discriminator JSON
    Schema ignores; an app whose `signOnMode` is `OPENID_CONNECT` is validated against
    `OpenIdConnectApplication` instead (also in lists), so its `credentials` and
    `settings` are checked too."""
    by_mode = {
        "if": {"properties": {"signOnMode": {"const": "OPENID_CONNECT"}}, "required": ["signOnMode"]},
        "then": OIDC_APP_REF,
        "else": APP_REF,
    }
    if schema == APP_REF:
        return by_mode
    if isinstance(schema, dict) and schema.get("type") == "array" and schema.get("items") == APP_REF:
        return {**schema, "items": by_mode}
    return schema


def any_jwks_shape(schema):
    """Repair: `listJwk` is documented as a bare array (the schema), as `{"keys": [...]}`
    (what Okta's SDKs read) and as `{"jwks": {"keys": [...]}}` (the example). Accept all
    three; the keys are checked either way."""
    return {
        "if": {"type": "object", "required": ["keys"]},
        "then": {"properties": {"keys": schema}},
        "else": {
            "if": {
                "type": "object",
                "required": ["jwks"],
                "properties": {"jwks": {"type": "object", "required": ["keys"]}},
            },
            "then": {"properties": {"jwks": {"properties": {"keys": schema}}}},
            "else": schema,
        },
    }


def reachable(definitions, roots):
    """The definitions `roots` refer to, directly or not."""
    seen, todo = set(), list(roots)
    while todo:
        found = []
        walk(todo.pop(), lambda s: found.append(schema_name(s["$ref"])) if "$ref" in s else None)
        for name in found:
            if name not in seen:
                seen.add(name)
                todo.append(definitions[name])
    return {name: definitions[name] for name in sorted(seen)}


def generate(source, document, is_okta):
    request_doc, response_doc = convert(copy.deepcopy(document))
    operations = {}
    request_roots, response_roots = [], []
    for template, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            key = f"{method.upper()} {template}"
            op_req, op_resp = request_doc["paths"][template][method], response_doc["paths"][template][method]
            request = None
            if "requestBody" in op_req:
                body = resolve(request_doc, op_req["requestBody"])
                schema = json_schema(request_doc, body)
                # Repair: app create/replace bodies are checked as `OpenIdConnectApplication`,
                # not `Application`: JSON Schema ignores `Application`'s discriminator, so it
                # would accept any `signOnMode` without checking the OIDC settings.
                if is_okta and key in ("POST /api/v1/apps", "PUT /api/v1/apps/{appId}"):
                    schema = dict(OIDC_APP_REF)
                request = {"required": body.get("required") is True, "schema": schema}
                request_roots.append(schema)
            responses = {}
            for status, response in op_resp.get("responses", {}).items():
                schema = json_schema(response_doc, resolve(response_doc, response))
                if is_okta and schema is not None:
                    schema = select_app_schema(schema)
                    if key == "GET /api/v1/apps/{appId}/credentials/jwks" and status == "200":
                        schema = any_jwks_shape(schema)
                responses[status] = schema
                response_roots.append(schema)
            operations[key] = {"request": request, "responses": responses}
            # `security: []` overrides the document's schemes: the operation takes no
            # credentials, and a client must not send any (a token sent to a host that
            # is not yet known to be Okta is a token leaked).
            if op_req.get("security") == []:
                operations[key]["auth"] = False
    # Error statuses are not all listed (Okta's 401 and 429 are missing from some
    # operations): they are accepted, but an Okta error body must still be an `Error`.
    undocumented_error = {"$ref": "#/definitions/Error"} if is_okta else None
    response_roots.append(undocumented_error)

    def definitions(doc):
        schemas = copy.deepcopy(doc.get("components", {}).get("schemas", {}))
        walk(schemas, drop_ref_siblings)
        return schemas

    return {
        "$comment": f"Generated by sandbox/scripts/generate_schemas.py from sandbox/tests/fixtures/{source}; do not edit.",
        "operations": operations,
        "undocumented_error": undocumented_error,
        "definitions": {
            "request": reachable(definitions(request_doc), [r for r in request_roots if r]),
            "response": reachable(definitions(response_doc), [r for r in response_roots if r]),
        },
    }


def okta_examples(document):
    """Every example in the Okta document: [method, template, status or "request", name,
    value], `$ref`s resolved."""
    out = []
    for template, item in document["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            sources = []
            if "requestBody" in op:
                sources.append(("request", resolve(document, op["requestBody"])))
            for status, response in op["responses"].items():
                sources.append((status, resolve(document, response)))
            for status, source in sources:
                examples = (source.get("content") or {}).get("application/json", {}).get("examples") or {}
                for name, example in examples.items():
                    out.append([method, template, status, name, resolve(document, example).get("value")])
    return out


def write(name, value):
    text = json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote sandbox/schemas/{name} ({text.count(chr(10))} lines)", file=sys.stderr)


def main():
    okta = yaml.load((FIXTURES / OKTA_FILE).read_text(encoding="utf-8"), Loader=Yaml12Loader)
    apono = json.loads((FIXTURES / APONO_FILE).read_text(encoding="utf-8"))
    OUT.mkdir(exist_ok=True)
    write("okta.json", generate(OKTA_FILE, okta, True))
    write("apono.json", generate(APONO_FILE, apono, False))
    write("okta-examples.json", okta_examples(okta))


if __name__ == "__main__":
    main()
