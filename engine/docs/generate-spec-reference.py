#!/usr/bin/env python3
"""Writes engine/docs/spec-reference.md from schemas/*.schema.json (run from the repository root).

The schemas are the single source of truth; this page is derived from them, and a test
(SpecReferenceTests) fails when a schema field is missing from it.
"""
import json

KINDS = [("Project", "project"), ("Dataset", "dataset"), ("FeatureSet", "featureset"),
         ("ModelDefinition", "modeldefinition"), ("ModelInstance", "modelinstance"), ("Pipeline", "pipeline")]
NAMED = {"duration": "duration", "date": "date", "cron": "cron", "name": "name", "identifier": "identifier", "relativePath": "path"}

HEADER = """# Spec reference

Every spec is a YAML document with the Kubernetes-style envelope:

```yaml
apiVersion: optaic.io/v1
kind: ModelInstance            # Project | Dataset | FeatureSet | ModelDefinition | ModelInstance | Pipeline
metadata:
  name: spx-alpha               # lower-case letters, digits, '-'; unique per kind
  labels: {team: quant}         # optional, string values
  annotations: {}               # optional, string values
spec: ...
```

A file may hold several documents separated by `---`. The JSON Schema of each kind is in `schemas/`
(also printed by `optaic schema show KIND`, written by `optaic schema export DIR`); editors with
yaml-language-server validate as you type with a first line such as
`# yaml-language-server: $schema=../../schemas/modelinstance.schema.json`.

Below, each field: its type, whether it is required, and what it means. Durations are a number and a
unit (`0`, `500ms`, `30s`, `5m`, `6h`, `1d`, `1w`); dates are `YYYY-MM-DD` (quote them in YAML);
cron expressions have 5 fields (or 6 with seconds) and are read in UTC. Feature expressions are
described in [expressions.md](expressions.md). This page is generated from the schemas by
`engine/docs/generate-spec-reference.py`.
"""


def resolve(schema, root):
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        merged = dict(root["definitions"][name])
        merged.update({k: v for k, v in schema.items() if k != "$ref"})
        return merged, name
    return schema, None


def type_of(schema, root):
    schema, ref = resolve(schema, root)
    if "const" in schema:
        return f'`{schema["const"]}`'
    if "enum" in schema:
        return " \\| ".join(f"`{e}`" for e in schema["enum"])
    if ref in NAMED:
        return NAMED[ref]
    kind = schema.get("type", "any")
    if kind == "array":
        return f'list of {type_of(schema.get("items", {}), root)}'
    if kind == "object" and "properties" not in schema and isinstance(schema.get("additionalProperties"), dict):
        return f'map of {type_of(schema["additionalProperties"], root)}'
    return kind if isinstance(kind, str) else " or ".join(kind)


def walk(schema, root, path, required, rows):
    schema, _ = resolve(schema, root)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        item, _ = resolve(schema["items"], root)
        if "properties" in item:
            walk(item, root, path + "[]", set(item.get("required", [])), rows)
        return
    if isinstance(schema.get("additionalProperties"), dict) and "properties" not in schema:
        value, _ = resolve(schema["additionalProperties"], root)
        if "properties" in value:
            walk(value, root, path + ".<name>", set(value.get("required", [])), rows)
        return
    for key, value in schema.get("properties", {}).items():
        resolved, _ = resolve(value, root)
        field = f"{path}.{key}" if path else key
        extra = [f"{label} {resolved[k]}" for k, label in
                 (("minimum", "min"), ("maximum", "max"), ("exclusiveMinimum", "above"), ("minItems", "at least"), ("maxItems", "at most")) if k in resolved]
        if "default" in resolved:
            extra.append(f'default {resolved["default"]}')
        meaning = resolved.get("description", "") + (f' ({", ".join(extra)})' if extra else "")
        rows.append((field, type_of(value, root), "yes" if key in required else "", meaning.strip()))
        if field not in ("model.hyperparameters", "hyperparameters"):
            walk(resolved, root, field, set(resolved.get("required", [])), rows)


def main():
    out = [HEADER]
    for kind, file in KINDS:
        root = json.load(open(f"schemas/{file}.schema.json"))
        spec = root["properties"]["spec"]
        rows = []
        walk(spec, root, "", set(spec.get("required", [])), rows)
        out += [f"## {kind}", "", root["description"], "", f"Schema: `schemas/{file}.schema.json`.", "",
                "| field (under `spec`) | type | required | meaning |", "|---|---|---|---|"]
        out += [f"| `{f}` | {t} | {r} | {m} |" for f, t, r, m in rows]
        out.append("")
    open("engine/docs/spec-reference.md", "w").write("\n".join(out))


if __name__ == "__main__":
    main()
