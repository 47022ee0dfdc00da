#!/usr/bin/env python3
"""Static checks of deploy/*.tf that need no provider and no network (run by check.sh).

Parses every .tf file (and terraform.tfvars.example) with python-hcl2, then checks:
  1. every `var.x` used is declared, and every declared variable is used;
  2. every `aws_x.y` resource reference, `data.aws_x.y` data reference and `local.x` points
     at a declaration, and no address is declared twice;
  3. no variable named like a secret (password, secret, key, token, credential, private_key)
     and no `sensitive = true` variable has a default; secret-named ones are sensitive;
  4. terraform.tfvars.example sets only declared variables, every required non-sensitive
     variable, and no sensitive one;
  5. the names the app hard-codes match the defaults here: tourney-core's job queues and
     votes stream, and settings/aws.toml's table, bucket, prefixes and shard count.
Exits 1 with one line per problem, 0 with a summary.
"""

import re
import sys
from pathlib import Path

import hcl2

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent

SECRET_NAME = re.compile(r"(password|secret|(^|_)key($|_)|token|credential|private_key)")
VAR_REF = re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)")
LOCAL_REF = re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)")
RESOURCE_REF = re.compile(r"(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")
DATA_REF = re.compile(r"(?<![\w.])data\.(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")
# Keys whose values are prose, not expressions.
PROSE_KEYS = {"description", "error_message"}

problems = []


def unquote(text):
    """A label or literal as written, without python-hcl2's surrounding quotes."""
    if isinstance(text, str) and len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def expressions(node):
    """Every string value under `node` except prose and python-hcl2's bookkeeping."""
    if isinstance(node, dict):
        for key, value in node.items():
            key = unquote(key)
            if key.startswith("__") or key in PROSE_KEYS:
                continue
            yield from expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value)
    elif isinstance(node, str):
        yield node


def labelled(blocks):
    """(label, body) of each block of a one-label kind (variable, output)."""
    for block in blocks:
        for label, body in block.items():
            if not label.startswith("__"):
                yield unquote(label), body


def twice_labelled(blocks):
    """(type, name, body) of each block of a two-label kind (resource, data)."""
    for block in blocks:
        for kind, named in block.items():
            if kind.startswith("__"):
                continue
            for name, body in named.items():
                if not name.startswith("__"):
                    yield unquote(kind), unquote(name), body


def parse(path):
    try:
        with path.open() as handle:
            return hcl2.load(handle)
    except Exception as error:  # python-hcl2 raises lark errors of several kinds
        problems.append(f"{path.name}: does not parse: {error}")
        return {}


def main():
    files = sorted(DEPLOY.glob("*.tf"))
    if not files:
        problems.append("no .tf files in deploy/")
    parsed = {path.name: parse(path) for path in files}

    variables, resources, datas, locals_, outputs = {}, set(), set(), set(), set()
    uses = []  # (file, text) of every expression outside variable blocks
    variable_exprs = []  # expressions inside variable blocks (validations)
    for name, tree in parsed.items():
        for label, body in labelled(tree.get("variable", [])):
            if label in variables:
                problems.append(f"{name}: variable {label} declared twice")
            variables[label] = (name, body)
            variable_exprs.extend(expressions(body))
        for kind, label, _ in twice_labelled(tree.get("resource", [])):
            if (kind, label) in resources:
                problems.append(f"{name}: resource {kind}.{label} declared twice")
            resources.add((kind, label))
        for kind, label, _ in twice_labelled(tree.get("data", [])):
            if (kind, label) in datas:
                problems.append(f"{name}: data {kind}.{label} declared twice")
            datas.add((kind, label))
        for block in tree.get("locals", []):
            for label in block:
                if not label.startswith("__"):
                    if label in locals_:
                        problems.append(f"{name}: local {label} declared twice")
                    locals_.add(label)
        for label, _ in labelled(tree.get("output", [])):
            if label in outputs:
                problems.append(f"{name}: output {label} declared twice")
            outputs.add(label)
        for kind, value in tree.items():
            if kind != "variable" and not kind.startswith("__"):
                uses.extend((name, text) for text in expressions(value))

    # 1. variables declared and used
    used_vars = set()
    for name, text in uses:
        for var in VAR_REF.findall(text):
            used_vars.add(var)
            if var not in variables:
                problems.append(f"{name}: var.{var} is not declared")
    for var in sorted(set(variables) - used_vars):
        problems.append(f"{variables[var][0]}: variable {var} is declared but never used")
    for text in variable_exprs:
        for var in VAR_REF.findall(text):
            if var not in variables:
                problems.append(f"variables: var.{var} in a validation is not declared")

    # 2. references resolve
    for name, text in uses:
        for kind, label in DATA_REF.findall(text):
            if (kind, label) not in datas:
                problems.append(f"{name}: data.{kind}.{label} is not declared")
        for kind, label in RESOURCE_REF.findall(text):
            if (kind, label) not in resources:
                problems.append(f"{name}: {kind}.{label} is not a declared resource")
        for label in LOCAL_REF.findall(text):
            if label not in locals_:
                problems.append(f"{name}: local.{label} is not declared")

    # 3. secrets have no default
    sensitive = set()
    for var, (name, body) in variables.items():
        is_sensitive = str(body.get("sensitive", "false")).lower() == "true"
        if is_sensitive:
            sensitive.add(var)
        if (is_sensitive or SECRET_NAME.search(var)) and "default" in body:
            problems.append(f"{name}: variable {var} looks secret but has a default")
        if SECRET_NAME.search(var) and not is_sensitive:
            problems.append(f"{name}: variable {var} is named like a secret but not sensitive")

    # 4. the example tfvars
    example = DEPLOY / "terraform.tfvars.example"
    if example.exists():
        values = parse(example)
        for var in values:
            if var.startswith("__"):
                continue
            if var not in variables:
                problems.append(f"{example.name}: {var} is not a declared variable")
            if var in sensitive:
                problems.append(f"{example.name}: sets sensitive {var} (pass it as TF_VAR_{var})")
        for var, (_, body) in variables.items():
            if "default" not in body and var not in sensitive and var not in values:
                problems.append(f"{example.name}: required variable {var} is missing")
    else:
        problems.append("terraform.tfvars.example is missing")

    # 5. the app's names
    defaults = {var: body.get("default") for var, (_, body) in variables.items()}
    check_app_names(defaults)

    if problems:
        for problem in problems:
            print(f"check.py: {problem}")
        return 1
    print(
        f"check.py: ok: {len(files)} files, {len(variables)} variables ({len(sensitive)} sensitive), "
        f"{len(resources)} resources, {len(datas)} data sources, {len(locals_)} locals, "
        f"{len(outputs)} outputs; every reference resolves, every variable is used"
    )
    return 0


def check_app_names(defaults):
    """The defaults against the names in the app's source and settings/aws.toml."""
    core = REPO / "tourney-core" / "src"
    if core.is_dir():
        queues, streams = set(), set()
        for path in core.rglob("*.rs"):
            text = path.read_text()
            queues.update(re.findall(r'pub const \w+_QUEUE: &str = "([^"]+)";', text))
            streams.update(re.findall(r'pub const \w+_STREAM: &str = "([^"]+)";', text))
        declared = {unquote(q) for q in defaults.get("job_queue_names") or []}
        declared.add(unquote(defaults.get("upload_events_queue_name")))
        if queues != declared:
            problems.append(
                f"job_queue_names and upload_events_queue_name defaults {sorted(declared)} differ "
                f"from tourney-core's queues {sorted(queues)}"
            )
        if unquote(defaults.get("votes_stream_name")) not in streams:
            problems.append(f"votes_stream_name default is not one of tourney-core's streams {sorted(streams)}")
    settings = REPO / "settings" / "aws.toml"
    if settings.exists():
        import tomllib

        toml = tomllib.loads(settings.read_text())
        pairs = [
            ("records_table_name", toml.get("records", {}).get("table")),
            ("media_bucket_name", toml.get("media", {}).get("bucket")),
            ("stream_prefix", toml.get("stream", {}).get("stream_prefix")),
            ("checkpoint_table_name", toml.get("stream", {}).get("checkpoint_table")),
            ("stream_shard_count", toml.get("stream", {}).get("shards")),
            ("queue_prefix", toml.get("queue", {}).get("queue_prefix")),
        ]
        for var, expected in pairs:
            value = defaults.get(var)
            if expected is not None and str(unquote(value)) != str(expected):
                problems.append(f"{var} default {value} differs from settings/aws.toml's {expected!r}")


if __name__ == "__main__":
    sys.exit(main())
