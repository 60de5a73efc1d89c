"""IAM policy documents checked against AWS's own action and resource-type definitions, with parliament.

Reads a JSON list of {"id": ..., "kind": "identity" | "resource" | "trust", "document": {...}} on stdin
and prints a JSON list of findings {"id", "sid", "issue", "detail"}. Used by iam-lint.test.ts.

Two sources of findings:
- parliament's own audit (unknown prefix or action, unknown condition keys, malformed statements,
  privilege-escalation patterns...), minus RESOURCE_MISMATCH, which parliament computes as "every
  required resource type of an action must be matched" where AWS needs only one of them (TagResource
  on a workgroup need not also name a data catalog);
- the resource checks, on parliament's definitions, with AWS's semantics:
  ACTION_WITHOUT_RESOURCE   an allowed action none of whose resource types any Resource matches
                            (the grant can never apply), or that AWS authorizes only on "*";
  RESOURCE_WITHOUT_ACTION   a Resource that no action of its statement can apply to;
  RESOURCE_STAR             "*" for an action that supports a narrower resource.
"""

import json
import sys

from parliament import analyze_policy_string, expand_action, is_arn_strictly_valid
from parliament.statement import get_arn_format, get_privilege_info


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def normalized(document):
    """IAM treats a one-element list and its element alike; parliament's condition checks need the latter."""
    statements = as_list(document.get("Statement"))
    for statement in statements:
        for block in (statement.get("Condition") or {}).values():
            for key, value in block.items():
                if isinstance(value, list) and len(value) == 1:
                    block[key] = value[0]
    return {**document, "Statement": statements}


def resource_checks(statement):
    """The resource findings of one Allow statement with Action and Resource."""
    findings = []
    resources = as_list(statement.get("Resource"))
    matched = set()
    for pattern in as_list(statement.get("Action")):
        # An unknown action is parliament's UNKNOWN_ACTION finding already.
        for action in expand_action(pattern, raise_exceptions=False):
            name = f"{action['service']}:{action['action']}"
            info = get_privilege_info(action["service"], action["action"])
            types = [t["resource_type"] for t in info["resource_types"] if t["resource_type"]]
            if not types:
                # Authorized on "*" only.
                if "*" in resources:
                    matched.add("*")
                else:
                    findings.append(("ACTION_WITHOUT_RESOURCE", f"{name} is authorized on * only"))
                continue
            formats = [(t, get_arn_format(t.rstrip("*"), info["service_resources"])) for t in types]
            hits = [r for r in resources if r != "*" and any(is_arn_strictly_valid(t, f, r) for t, f in formats)]
            matched.update(hits)
            if "*" in resources:
                matched.add("*")
                findings.append(("RESOURCE_STAR", f"{name} supports {', '.join(t.rstrip('*') for t in types)}"))
            elif not hits:
                wanted = ", ".join(f for _, f in formats)
                findings.append(("ACTION_WITHOUT_RESOURCE", f"{name} needs one of {wanted}"))
    for resource in resources:
        if resource not in matched:
            findings.append(("RESOURCE_WITHOUT_ACTION", f"{resource} matches no action of the statement"))
    return findings


def lint(entry):
    document = normalized(entry["document"])
    findings = []
    policy = analyze_policy_string(json.dumps(document))
    for finding in policy.findings:
        if finding.issue == "RESOURCE_MISMATCH":
            continue
        detail = finding.detail if isinstance(finding.detail, str) else json.dumps(finding.detail, sort_keys=True)
        findings.append({"issue": finding.issue, "detail": detail, "sid": None})
    if entry["kind"] != "trust":
        for statement in document["Statement"]:
            if statement.get("Effect") != "Allow" or "Action" not in statement or "Resource" not in statement:
                continue
            for issue, detail in resource_checks(statement):
                findings.append({"issue": issue, "detail": detail, "sid": statement.get("Sid")})
    return [{"id": entry["id"], **f} for f in findings]


def main():
    entries = json.load(sys.stdin)
    out = []
    for entry in entries:
        out.extend(lint(entry))
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
