"""The performance goals of the issues, as ratios measured in one run (see bench/report.py).

Each goal: name, value(R) computing the measured figure from the results R, op and target.
"""

GOALS = []


def goal(name, op, target, unit=""):
    def register(fn):
        GOALS.append({"name": name, "value": fn, "op": op, "target": target, "unit": unit})
        return fn
    return register
