#!/usr/bin/python3
"""Writes docs/benchmarks.md (to stdout) from the results directory of scripts/bench.sh.

Google Benchmark JSON gives the medians of the C++ side; the Python anchors print text that
bench/goals.py parses. Every goal of the issues is listed, met or missed.
"""
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import comparisons  # noqa: E402
import goals  # noqa: E402


class Results:
    def __init__(self, root):
        self.root = root
        self.cpp = {}     # binary -> name -> aggregate row (median)
        for f in sorted(os.listdir(root)):
            if f.endswith(".json"):
                with open(os.path.join(root, f)) as fh:
                    try:
                        data = json.load(fh)
                    except json.JSONDecodeError:
                        continue
                rows = {}
                for b in data.get("benchmarks", []):
                    if b.get("aggregate_name", "median") != "median":
                        continue
                    rows[b.get("run_name", b["name"])] = b
                self.cpp[f[:-5]] = rows

    def row(self, binary, name):
        rows = self.cpp.get(binary, {})
        if name in rows:
            return rows[name]
        for key, r in rows.items():  # allow a prefix (arguments, /real_time suffixes)
            if key.startswith(name):
                return r
        raise KeyError(f"{binary}:{name}")

    def ns(self, binary, name):
        """Median time per iteration in nanoseconds."""
        r = self.row(binary, name)
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[r.get("time_unit", "ns")]
        return r["real_time"] * scale

    def rate(self, binary, name, counter="items_per_second"):
        return self.row(binary, name)[counter]

    def text(self, name):
        path = os.path.join(self.root, name)
        return open(path).read() if os.path.exists(path) else ""

    def echo(self, harness, server):
        """Medians over the rounds of one echo server in `<harness>.txt` (lines written by
        bench/echo/run.sh and friends: `<server> rps=<req/s> cpu_us_per_req=<µs> ...`)."""
        rps, cpu = [], []
        for m in re.finditer(rf"^{re.escape(server)} rps=([\d.]+) cpu_us_per_req=([\d.]+)",
                             self.text(f"{harness}.txt"), re.M):
            rps.append(float(m.group(1)))
            cpu.append(float(m.group(2)))
        if not rps:
            raise KeyError(f"{harness}: {server}")
        return {"rps": statistics.median(rps), "cpu_us": statistics.median(cpu), "rounds": len(rps)}

    def py(self, script, pattern):
        """First number captured by `pattern` (a regex with one group) in a Python script's output."""
        m = re.search(pattern, self.text(f"python-{script}.txt"), re.M)
        if not m:
            raise KeyError(f"python {script}: {pattern}")
        return float(m.group(1))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def human_time(ns):
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def human_rate(r):
    if r >= 1e6:
        return f"{r / 1e6:.2f} M/s"
    if r >= 1e3:
        return f"{r / 1e3:.1f} k/s"
    return f"{r:.1f} /s"


# Load-test harnesses whose output scripts/bench.sh keeps as <name>.txt (+ <name>.cmd).
HARNESSES = [("echo", "Echo servers"), ("echo5000", "Echo servers, 5,000 connections"),
             ("io_models", "IO models (S36)")]


def fmt(v):
    return f"{v:.3g}" if v < 100 else f"{v:,.0f}"


def side_by_side(R, w, chart):
    """The comparison table (triad against every anchor of the same operation) and the chart
    of triad's speed-up over Python's equivalent, both from the same run."""
    w("## Side by side\n")
    w("Each row is one operation measured in this run: triad's median, then each anchor's "
      "median and how many times faster triad is (> 1: triad faster).\n")
    w("| operation | unit | triad | anchor | anchor's median | triad is × faster |")
    w("|---|---|---|---|---|---|")
    bars = []  # (operation, speed-up over Python)
    for row in comparisons.ROWS:
        try:
            ours = row["triad"](R)
        except (KeyError, ZeroDivisionError):
            ours = None
        first = True
        for label, fn in row["anchors"].items():
            try:
                theirs = fn(R)
            except (KeyError, ZeroDivisionError):
                theirs = None
            speedup = None
            if ours and theirs:
                speedup = ours / theirs if row["higher"] else theirs / ours
                if label.startswith("Python") or label in ("gevent", "gevent sleep(0)",
                                                           "gevent spawn+join"):
                    if not any(b[0] == row["operation"] for b in bars):
                        bars.append((row["operation"], speedup, label))
            w(f"| {row['operation'] if first else ''} | {row['unit'] if first else ''} | "
              f"{(fmt(ours) if ours is not None else 'not measured') if first else ''} | {label} | "
              f"{fmt(theirs) if theirs is not None else 'not measured'} | "
              f"{f'{speedup:.2f}' if speedup else ''} |")
            first = False
    w("")
    if chart and bars and draw_chart(bars, chart):
        w(f"![triad's speed-up over Python, log scale]({os.path.basename(chart)})\n")
        w("The chart: triad's speed-up over the Python equivalent of each operation (log scale; "
          "Python's stdlib, gevent or uvloop as labelled in the table above).\n")


def draw_chart(bars, path):
    """Horizontal bars, log scale, drawn by gnuplot (Debian's gnuplot-nox) into a PNG."""
    if not shutil.which("gnuplot"):
        return False
    data = path + ".dat"
    with open(data, "w") as fh:
        for i, (name, speedup, _) in enumerate(reversed(bars)):
            fh.write(f'{i} {speedup:.6g} "{name}"\n')
    height = 120 + 26 * len(bars)
    script = f"""
set terminal pngcairo noenhanced size 1100,{height} font "DejaVu Sans,10"
set output "{path}"
set logscale x 10
set xrange [0.5:*]
set yrange [-0.7:{len(bars) - 0.3}]
set xlabel "triad's speed-up over Python (×, log scale)"
set grid xtics
set style fill solid 0.8
set key off
set lmargin 58
set format x "%g×"
plot "{data}" using (($2 > 1 ? $2 : 1)/2 + ($2 > 1 ? 1 : $2)/2):1:(1 < $2 ? 1 : $2):($2 > 1 ? $2 : 1):($1-0.35):($1+0.35):ytic(3) with boxxyerror lc rgb "#3b7dd8", \
     "{data}" using 2:1:(sprintf("%.3g×", $2)) with labels left offset 0.5,0
"""
    ok = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True).returncode == 0
    os.remove(data)
    return ok and os.path.exists(path)


def main():
    root, reps = sys.argv[1], sys.argv[2]
    chart = sys.argv[3] if len(sys.argv) > 3 else None
    R = Results(root)
    out = []
    w = out.append
    w("# Benchmarks\n")
    w("Generated by `scripts/bench.sh` (which runs `bench/report.py`): every triad benchmark and")
    w("every anchor ran on this machine in one run; each number is the **median of "
      f"{reps} repetitions**. A goal a layer misses is shown as missed.\n")
    w("## Machine\n")
    cpu = sh("lscpu | sed -n 's/^Model name: *//p'")
    w(f"- CPU: {cpu}, {os.cpu_count()} cores (a shared VM)")
    w(f"- Kernel: {platform.release()}; compiler: {sh('g++ --version | head -1')}")
    w(f"- Python anchors: {sh('/usr/bin/python3 --version')} (Debian, with gevent, greenlet, uvloop)")
    w("- Build: `cmake --preset release` (RelWithDebInfo, -O2)")
    run = os.path.join(root, "run.txt")
    if os.path.exists(run):
        with open(run) as f:
            w(f"- Run: {'; '.join(line.strip() for line in f if line.strip())}. The machine is a "
              "shared VM: absolute numbers move between runs (cross-core wake-ups above all); "
              "compare the ratios of one run.")
    w("")

    w("## Goals\n")
    w("| goal | measured | target | status |")
    w("|---|---|---|---|")
    for g in goals.GOALS:
        try:
            value = g["value"](R)
            ok = {"<=": value <= g["target"], "<": value < g["target"],
                  ">=": value >= g["target"]}[g["op"]]
            shown = g.get("fmt", "{:.2f}").format(value)
            w(f"| {g['name']} | {shown} | {g['op']} {g['target']} {g.get('unit', '')} | "
              f"{'met' if ok else '**missed**'} |")
        except (KeyError, ZeroDivisionError) as e:
            w(f"| {g['name']} | not measured ({e}) | {g['op']} {g['target']} {g.get('unit', '')} | **missing** |")
    w("")

    side_by_side(R, w, chart)

    w("## Every C++ benchmark (medians)\n")
    for binary, rows in R.cpp.items():
        w(f"### bench_{binary}\n")
        w(f"`build/release/bench/bench_{binary} --benchmark_repetitions={reps} "
          "--benchmark_report_aggregates_only=true`\n")
        w("| benchmark | time/iteration | items/s |")
        w("|---|---|---|")
        for name, r in rows.items():
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[r.get("time_unit", "ns")]
            rate = r.get("items_per_second")
            w(f"| {name} | {human_time(r['real_time'] * scale)} | {human_rate(rate) if rate else ''} |")
        w("")

    w("## Python anchors\n")
    for f in sorted(os.listdir(root)):
        if f.startswith("python-"):
            w(f"### {f[7:-4]} — `/usr/bin/python3 bench/compare/{f[7:-4]}.py`\n")
            w("```")
            w(R.text(f).rstrip())
            w("```\n")
    for harness, title in HARNESSES:
        cmd = R.text(f"{harness}.cmd").strip()
        text = R.text(f"{harness}.txt")
        if not text:
            continue
        w(f"## {title}\n")
        w(f"`{cmd}` — server pinned to CPU 0, `shared/tools/echoload.c` (closed loop) pinned to "
          "CPU 1; medians over the rounds, every server in every round.\n")
        w("| server | req/s | server CPU µs per request | rounds |")
        w("|---|---|---|---|")
        names = dict.fromkeys(re.findall(r"^(\S+) rps=", text, re.M))
        for name in names:
            e = R.echo(harness, name)
            w(f"| {name} | {e['rps']:,.0f} | {e['cpu_us']:.2f} | {e['rounds']} |")
        w("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
