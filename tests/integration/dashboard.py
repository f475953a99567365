"""Reading examples/custom_runner/grafana-dashboard.json: its PromQL expressions and the metric
names they use (shared by grafana_dashboard_test.py and custom_runner_test.py)."""
import json
import os
import re

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                       "custom_runner")
DASHBOARD = os.path.join(EXAMPLE, "grafana-dashboard.json")

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan"}


def load():
    with open(DASHBOARD) as dashboard:
        return json.load(dashboard)


def expressions(dashboard):
    """(panel title, expr) of every query of every panel, in order."""
    return [(panel["title"], target["expr"])
            for panel in dashboard["panels"] for target in panel.get("targets", [])]


def metric_names(expression):
    """The metric names an expression selects: identifiers that are not functions, keywords,
    label names (inside braces or a by/without/on/ignoring/group_* list) or strings."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end():].lstrip()
        if following.startswith("(") or match.group(0) in KEYWORDS:
            continue
        if match.start() > 0 and (text[match.start() - 1].isdigit() or text[match.start() - 1] == "."):
            continue  # the exponent or unit of a number
        names.add(match.group(0))
    return names


def sample_names(exposition):
    """The sample names of a text exposition (`name{...} value` or `name value`)."""
    return {re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0)
            for line in exposition.splitlines() if line and not line.startswith("#")}
