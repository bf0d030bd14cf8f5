// SVG pictures of latency spectra and throughput over time.
#include "bench/load/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>

namespace blendroute::load {
namespace {

constexpr double width = 720;
constexpr double height = 400;
constexpr double left = 70;
constexpr double right = 160;  ///< Room for the legend.
constexpr double top = 40;
constexpr double bottom = 50;
constexpr const char* colours[] = {"#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"};

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

std::string escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// A round step for an axis from 0 to `highest` with about five ticks.
double tick_step(double highest) {
  if (highest <= 0) {
    return 1;
  }
  const double rough = highest / 5;
  const double magnitude = std::pow(10, std::floor(std::log10(rough)));
  for (const double step : {1.0, 2.0, 5.0, 10.0}) {
    if (rough <= step * magnitude) {
      return step * magnitude;
    }
  }
  return 10 * magnitude;
}

std::string frame_and_title(const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(width) + "\" height=\""
         + number(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n"
         + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"" + number(left)
         + "\" y=\"22\" font-size=\"15\">" + escape(title) + "</text>\n";
}

/// Horizontal grid lines and labels for 0 … `highest` on the left axis.
std::string y_axis(double highest, const std::string& unit) {
  std::string out;
  const double plot_height = height - top - bottom;
  const double step = tick_step(highest);
  for (double v = 0; v <= highest * 1.0001; v += step) {
    const double y = top + plot_height * (1 - v / highest);
    out += "<line x1=\"" + number(left) + "\" x2=\"" + number(width - right) + "\" y1=\""
           + number(y) + "\" y2=\"" + number(y) + "\" stroke=\"#e5e7eb\"/>\n";
    out += "<text x=\"" + number(left - 6) + "\" y=\"" + number(y + 4) + "\" text-anchor=\"end\">"
           + number(v) + "</text>\n";
  }
  out += "<text x=\"14\" y=\"" + number(top + plot_height / 2) + "\" transform=\"rotate(-90 14 "
         + number(top + plot_height / 2) + ")\" text-anchor=\"middle\">" + escape(unit)
         + "</text>\n";
  return out;
}

}  // namespace

std::string latency_svg(const std::string& title, const std::vector<named_histogram>& series) {
  const double plot_width = width - left - right;
  const double plot_height = height - top - bottom;
  // x = log10(1 / (1 − p)): 0.3 is p50, 2 is p99, 5 is p99.999.
  constexpr double x_low = std::log10(2.0);
  constexpr double x_high = 5;
  double highest = 0;
  for (const auto& [name, histogram] : series) {
    if (histogram->count() > 0) {
      highest = std::max(highest, static_cast<double>(histogram->max().count()) / 1e6);
    }
  }
  highest = highest <= 0 ? 1 : tick_step(highest) * std::ceil(highest / tick_step(highest));

  std::string svg = frame_and_title(title) + y_axis(highest, "latency (ms)");
  for (const auto& [label, x] : std::vector<std::pair<const char*, double>>{
           {"p50", x_low}, {"p90", 1}, {"p99", 2}, {"p99.9", 3}, {"p99.99", 4}, {"p99.999", 5}}) {
    const double px = left + plot_width * (x - x_low) / (x_high - x_low);
    svg += "<line x1=\"" + number(px) + "\" x2=\"" + number(px) + "\" y1=\"" + number(top)
           + "\" y2=\"" + number(height - bottom) + "\" stroke=\"#e5e7eb\"/>\n";
    svg += "<text x=\"" + number(px) + "\" y=\"" + number(height - bottom + 18)
           + "\" text-anchor=\"middle\">" + label + "</text>\n";
  }
  svg += "<text x=\"" + number(left + plot_width / 2) + "\" y=\"" + number(height - 10)
         + "\" text-anchor=\"middle\">percentile</text>\n";

  std::size_t index = 0;
  for (const auto& [name, histogram] : series) {
    if (histogram->count() == 0) {
      continue;
    }
    const char* colour = colours[index % std::size(colours)];
    std::string points;
    for (double x = x_low; x <= x_high + 1e-9; x += 0.05) {
      const double percent = 100.0 * (1.0 - std::pow(10, -x));
      const double ms = static_cast<double>(histogram->percentile(percent).count()) / 1e6;
      points += number(left + plot_width * (x - x_low) / (x_high - x_low)) + ","
                + number(top + plot_height * (1 - std::min(ms, highest) / highest)) + " ";
    }
    svg += "<polyline fill=\"none\" stroke=\"" + std::string(colour)
           + "\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
    const double legend_y = top + 16 + 18 * static_cast<double>(index);
    svg += "<rect x=\"" + number(width - right + 12) + "\" y=\"" + number(legend_y - 9)
           + "\" width=\"12\" height=\"3\" fill=\"" + colour + "\"/>\n<text x=\""
           + number(width - right + 30) + "\" y=\"" + number(legend_y) + "\">" + escape(name)
           + " (n=" + std::to_string(histogram->count()) + ")</text>\n";
    ++index;
  }
  return svg + "</svg>\n";
}

std::string throughput_svg(const std::string& title, const std::vector<std::uint64_t>& per_second,
                           double asked_rate) {
  const double plot_width = width - left - right;
  const double plot_height = height - top - bottom;
  double highest = asked_rate;
  for (const auto count : per_second) {
    highest = std::max(highest, static_cast<double>(count));
  }
  highest = highest <= 0 ? 1 : tick_step(highest) * std::ceil(highest * 1.05 / tick_step(highest));
  std::string svg = frame_and_title(title) + y_axis(highest, "acked events per second");
  const double bar = plot_width / static_cast<double>(std::max<std::size_t>(1, per_second.size()));
  for (std::size_t i = 0; i < per_second.size(); ++i) {
    const double h = plot_height * static_cast<double>(per_second[i]) / highest;
    svg += "<rect x=\"" + number(left + bar * static_cast<double>(i) + 1) + "\" y=\""
           + number(top + plot_height - h) + "\" width=\"" + number(std::max(1.0, bar - 2))
           + "\" height=\"" + number(h) + "\" fill=\"#2563eb\"/>\n";
  }
  const std::size_t label_every = std::max<std::size_t>(1, per_second.size() / 10);
  for (std::size_t i = 0; i < per_second.size(); i += label_every) {
    svg += "<text x=\"" + number(left + bar * (static_cast<double>(i) + 0.5)) + "\" y=\""
           + number(height - bottom + 18) + "\" text-anchor=\"middle\">" + std::to_string(i + 1)
           + "</text>\n";
  }
  svg += "<text x=\"" + number(left + plot_width / 2) + "\" y=\"" + number(height - 10)
         + "\" text-anchor=\"middle\">second of the measured window</text>\n";
  if (asked_rate > 0) {
    const double y = top + plot_height * (1 - asked_rate / highest);
    svg += "<line x1=\"" + number(left) + "\" x2=\"" + number(width - right) + "\" y1=\""
           + number(y) + "\" y2=\"" + number(y)
           + "\" stroke=\"#dc2626\" stroke-dasharray=\"6 4\"/>\n<text x=\""
           + number(width - right + 12) + "\" y=\"" + number(y + 4) + "\">asked "
           + number(asked_rate) + "/s</text>\n";
  }
  return svg + "</svg>\n";
}

std::vector<std::string> write_plots(const std::string& prefix, const std::string& title,
                                     const std::vector<named_histogram>& series,
                                     const std::vector<std::uint64_t>& per_second,
                                     double asked_rate, std::ostream& log) {
  std::vector<std::string> written;
  auto write = [&](const std::string& path, const std::string& svg) {
    std::ofstream out(path);
    out << svg;
    if (!out) {
      log << "error load.plot cannot write " << path << std::endl;
      return;
    }
    written.push_back(path);
  };
  write(prefix + "-latency.svg", latency_svg(title + ": latency", series));
  if (!per_second.empty()) {
    write(prefix + "-throughput.svg",
          throughput_svg(title + ": throughput", per_second, asked_rate));
  }
  return written;
}

}  // namespace blendroute::load
