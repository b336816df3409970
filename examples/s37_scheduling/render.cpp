// Text tables and the SVG Gantt chart for sched::Schedule.
#include "s37_scheduling/render.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>
#include <string_view>

namespace sched {
namespace {

std::string pad(const std::string& s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

std::string num(Time v) {
  return std::to_string(v);
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Ten colours that stay distinct next to each other (Tableau 10).
constexpr std::array<std::string_view, 10> kPalette{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                    "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                                    "#9c755f", "#bab0ac"};

std::string_view colour(int job) {
  return kPalette[static_cast<std::size_t>(job) % kPalette.size()];
}

// A tick step from 1, 2, 5, 10, 20, 50, ... giving at most ~20 ticks over the span.
Time tick_step(Time span) {
  Time step = 1;
  while (span / step > 20) {
    if (span / (step * 2) <= 20) return step * 2;
    if (span / (step * 5) <= 20) return step * 5;
    step *= 10;
  }
  return step;
}

}  // namespace

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string gantt_line(const Schedule& s) {
  std::string out = num(s.start);
  std::size_t i = 0;
  while (i < s.cpu.size()) {
    const Slice& first = s.cpu[i];
    std::size_t k = i + 1;
    if (first.kind == Slice::Kind::run) {
      while (k < s.cpu.size() && s.cpu[k].kind == Slice::Kind::run && s.cpu[k].job == first.job)
        ++k;
    }
    const Slice& last = s.cpu[k - 1];
    std::string label = first.kind == Slice::Kind::run
                            ? s.jobs[static_cast<std::size_t>(first.job)].name
                        : first.kind == Slice::Kind::idle ? "idle"
                                                          : "cs";
    out += " [" + label + "] " + num(last.end);
    i = k;
  }
  return out;
}

std::string job_table(const Schedule& s) {
  std::size_t w = 7;  // "average"
  for (const auto& j : s.jobs) w = std::max(w, j.name.size());
  std::ostringstream o;
  const std::array<std::string, 8> head{"arrival", "cpu",        "io",      "start",
                                        "finish",  "turnaround", "waiting", "response"};
  o << pad("job", w);
  for (const auto& h : head) o << "  " << pad(h, h.size() < 7 ? 7 : h.size(), true);
  o << '\n';
  auto cell = [&](const std::string& h, const std::string& v) {
    o << "  " << pad(v, h.size() < 7 ? 7 : h.size(), true);
  };
  for (const auto& j : s.jobs) {
    o << pad(j.name, w);
    const std::array<Time, 8> v{j.arrival, j.cpu,          j.io,        j.first_run,
                                j.finish,  j.turnaround(), j.waiting(), j.response()};
    for (std::size_t c = 0; c < head.size(); ++c) cell(head[c], num(v[c]));
    o << '\n';
  }
  o << pad("average", w);
  for (std::size_t c = 0; c < 5; ++c) cell(head[c], "");
  cell(head[5], fixed2(s.average_turnaround()));
  cell(head[6], fixed2(s.average_waiting()));
  cell(head[7], fixed2(s.average_response()));
  o << '\n';
  return o.str();
}

std::string state_chart(const Schedule& s, long max_width) {
  const Time span = s.end - s.start;
  if (span > max_width || span <= 0) return {};
  const auto width = static_cast<std::size_t>(span);
  std::size_t w = 3;  // "cpu"
  for (const auto& j : s.jobs) w = std::max(w, j.name.size());
  std::ostringstream o;
  auto fill = [&](std::string& row, Time a, Time b, char c) {
    for (Time t = a; t < b; ++t) row[static_cast<std::size_t>(t - s.start)] = c;
  };
  for (const auto& j : s.jobs) {
    std::string row(width, ' ');
    for (const auto& iv : j.states) {
      fill(row, iv.start, iv.end,
           iv.state == State::running ? '#'
           : iv.state == State::ready ? '.'
                                      : '~');
    }
    o << pad(j.name, w) << " |" << row << "|\n";
  }
  std::string cpu(width, ' ');
  for (const auto& sl : s.cpu) {
    fill(cpu, sl.start, sl.end,
         sl.kind == Slice::Kind::run    ? '#'
         : sl.kind == Slice::Kind::idle ? '-'
                                        : '*');
  }
  o << pad("cpu", w) << " |" << cpu << "|\n";
  return o.str();
}

std::string describe(const Schedule& s) {
  std::ostringstream o;
  o << "== " << s.policy;
  if (s.switch_cost > 0) o << ", context switch = " << s.switch_cost;
  o << " ==\n";
  o << gantt_line(s) << '\n' << job_table(s);
  o << "CPU busy " << s.busy() << " of " << (s.end - s.start) << " units ("
    << fixed2(100.0 * s.utilization()) << "%), context switches: " << s.context_switches << '\n';
  return o.str();
}

std::string summary_table(const std::vector<Schedule>& schedules) {
  std::size_t w = 6;  // "policy"
  for (const auto& s : schedules) w = std::max(w, s.policy.size());
  std::ostringstream o;
  o << pad("policy", w) << "  avg waiting  avg turnaround  avg response  CPU busy  switches\n";
  for (const auto& s : schedules) {
    o << pad(s.policy, w) << "  " << pad(fixed2(s.average_waiting()), 11, true) << "  "
      << pad(fixed2(s.average_turnaround()), 14, true) << "  "
      << pad(fixed2(s.average_response()), 12, true) << "  "
      << pad(fixed2(100.0 * s.utilization()) + "%", 8, true) << "  "
      << pad(std::to_string(s.context_switches), 8, true) << '\n';
  }
  return o.str();
}

std::string to_svg(const Schedule& s) {
  const Time span = std::max<Time>(s.end - s.start, 1);
  // Pixels per time unit: the chart is 400-900 px wide when it can be.
  const double ppu = std::clamp(800.0 / static_cast<double>(span), 0.0001, 40.0);
  const double left = 110;
  const double top = 48;
  const double row_h = 22;  // the rect lambda's default height
  const double gap = 8;
  const double chart_w = ppu * static_cast<double>(span);
  const std::size_t rows = s.jobs.size() + 1;
  const double axis_y = top + static_cast<double>(rows) * (row_h + gap);
  const double width = left + chart_w + 30;
  const double height = axis_y + 90;
  auto x = [&](Time t) { return left + ppu * static_cast<double>(t - s.start); };
  auto f = [](double v) { return fixed2(v); };
  auto row_y = [&](std::size_t r) { return top + static_cast<double>(r) * (row_h + gap); };

  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << f(width) << "\" height=\""
    << f(height) << "\" viewBox=\"0 0 " << f(width) << ' ' << f(height)
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o << "<title>" << xml_escape(s.policy) << "</title>\n";
  o << "<defs><pattern id=\"io\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
       "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4f4f4\"/>"
       "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999\" stroke-width=\"2\"/>"
       "</pattern></defs>\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  o << "<text x=\"" << f(left) << "\" y=\"24\" font-size=\"15\" font-weight=\"bold\">"
    << xml_escape(s.policy);
  if (s.switch_cost > 0) o << ", context switch = " << s.switch_cost;
  o << "</text>\n";

  auto rect = [&](Time a, Time b, double y, std::string_view fill_colour, std::string_view stroke,
                  const std::string& tip, double h = 22) {
    o << "<rect x=\"" << f(x(a)) << "\" y=\"" << f(y) << "\" width=\"" << f(x(b) - x(a))
      << "\" height=\"" << f(h) << "\" fill=\"" << fill_colour << "\" stroke=\"" << stroke
      << "\" stroke-width=\"0.5\"><title>" << xml_escape(tip) << "</title></rect>\n";
  };
  auto label = [&](double lx, double ly, const std::string& text, std::string_view anchor,
                   std::string_view fill_colour = "#000") {
    o << "<text x=\"" << f(lx) << "\" y=\"" << f(ly) << "\" text-anchor=\"" << anchor
      << "\" fill=\"" << fill_colour << "\">" << xml_escape(text) << "</text>\n";
  };
  auto span_text = [](Time a, Time b) { return std::to_string(a) + "-" + std::to_string(b); };

  // The CPU row.
  label(left - 8, row_y(0) + 15, "CPU", "end");
  for (const Slice& sl : s.cpu) {
    const double y = row_y(0);
    if (sl.kind == Slice::Kind::run) {
      const auto& name = s.jobs[static_cast<std::size_t>(sl.job)].name;
      rect(sl.start, sl.end, y, colour(sl.job), "#333", name + " " + span_text(sl.start, sl.end));
      const double w = x(sl.end) - x(sl.start);
      if (w >= 7.0 * static_cast<double>(name.size()) + 4) {
        label((x(sl.start) + x(sl.end)) / 2, y + 15, name, "middle", "#fff");
      }
    } else if (sl.kind == Slice::Kind::idle) {
      rect(sl.start, sl.end, y, "#e6e6e6", "#bbb", "idle " + span_text(sl.start, sl.end));
    } else {
      rect(sl.start, sl.end, y, "#222", "#222",
           "context switch to " + s.jobs[static_cast<std::size_t>(sl.job)].name + " " +
               span_text(sl.start, sl.end));
    }
  }
  // One row per job: its states.
  for (std::size_t i = 0; i < s.jobs.size(); ++i) {
    const auto& j = s.jobs[i];
    const double y = row_y(i + 1);
    label(left - 8, y + 15, j.name, "end");
    for (const Interval& iv : j.states) {
      const std::string when = " " + span_text(iv.start, iv.end);
      if (iv.state == State::running) {
        rect(iv.start, iv.end, y, colour(static_cast<int>(i)), "#333", j.name + " running" + when);
      } else if (iv.state == State::ready) {
        rect(iv.start, iv.end, y + 7, "#ffffff", colour(static_cast<int>(i)),
             j.name + " ready" + when, 8);
      } else {
        rect(iv.start, iv.end, y, "url(#io)", "#999", j.name + " blocked (IO)" + when);
      }
    }
    // The arrival marker: a bar at the start of the row.
    o << "<line x1=\"" << f(x(j.arrival)) << "\" y1=\"" << f(y - 2) << "\" x2=\"" << f(x(j.arrival))
      << "\" y2=\"" << f(y + 24) << "\" stroke=\"#000\" stroke-width=\"2\"><title>"
      << xml_escape(j.name) << " arrives at " << j.arrival << "</title></line>\n";
  }
  // The time axis.
  o << "<line x1=\"" << f(left) << "\" y1=\"" << f(axis_y) << "\" x2=\"" << f(left + chart_w)
    << "\" y2=\"" << f(axis_y) << "\" stroke=\"#000\"/>\n";
  const Time step = tick_step(span);
  for (Time t = s.start; t <= s.end; t += step) {
    o << "<line x1=\"" << f(x(t)) << "\" y1=\"" << f(axis_y) << "\" x2=\"" << f(x(t)) << "\" y2=\""
      << f(axis_y + 5) << "\" stroke=\"#000\"/>\n";
    label(x(t), axis_y + 18, std::to_string(t), "middle");
    if (t + step > s.end && ppu * static_cast<double>(s.end - t) >= 24) {
      label(x(s.end), axis_y + 18, std::to_string(s.end), "middle");
    }
  }
  // Legend and averages.
  const double ly = axis_y + 40;
  double lx = left;
  auto key = [&](std::string_view fill_colour, std::string_view stroke, const std::string& text) {
    o << "<rect x=\"" << f(lx) << "\" y=\"" << f(ly - 10) << "\" width=\"14\" height=\"12\" fill=\""
      << fill_colour << "\" stroke=\"" << stroke << "\"/>\n";
    label(lx + 18, ly, text, "start");
    lx += 30 + 7.0 * static_cast<double>(text.size());
  };
  key(colour(0), "#333", "running");
  key("#ffffff", colour(0), "ready");
  key("url(#io)", "#999", "blocked (IO)");
  key("#e6e6e6", "#bbb", "CPU idle");
  if (s.switch_cost > 0) key("#222", "#222", "context switch");
  label(left, ly + 24,
        "average waiting " + fixed2(s.average_waiting()) + ", turnaround " +
            fixed2(s.average_turnaround()) + ", response " + fixed2(s.average_response()) +
            "; CPU busy " + fixed2(100.0 * s.utilization()) + "%",
        "start");
  o << "</svg>\n";
  return o.str();
}

}  // namespace sched
