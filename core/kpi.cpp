// KPI counts in time slices, and the ratios made from them.
#include "core/kpi.hpp"

#include <algorithm>

namespace blendroute {
namespace {

std::optional<double> share(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) {
    return std::nullopt;
  }
  return static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::optional<double> kpi_summary::containment() const {
  return share(contained, finished);
}

std::optional<double> kpi_summary::escalation_rate() const {
  return share(escalated, finished);
}

std::optional<double> kpi_summary::first_contact_resolution() const {
  return share(std::min(first_contact_resolved, resolved), resolved);
}

std::optional<double> kpi_summary::average_handle_seconds() const {
  if (handled == 0) {
    return std::nullopt;
  }
  return static_cast<double>(handle_time.count()) / 1000.0 / static_cast<double>(handled);
}

std::optional<double> kpi_summary::csat() const {
  if (csat_count == 0) {
    return std::nullopt;
  }
  return static_cast<double>(csat_sum) / static_cast<double>(csat_count);
}

std::optional<double> kpi_summary::attainment(sla_kind sla) const {
  const auto i = static_cast<std::size_t>(sla);
  if (sla_opportunities[i] == 0) {
    return std::nullopt;
  }
  const std::uint64_t met = sla_opportunities[i] - std::min(sla_breaches[i], sla_opportunities[i]);
  return share(met, sla_opportunities[i]);
}

void kpi_summary::add(const kpi_summary& other) {
  finished += other.finished;
  contained += other.contained;
  escalated += other.escalated;
  resolved += other.resolved;
  abandoned += other.abandoned;
  transfers += other.transfers;
  reopened += other.reopened;
  first_contact_resolved += other.first_contact_resolved;
  csat_count += other.csat_count;
  csat_sum += other.csat_sum;
  handled += other.handled;
  handle_time += other.handle_time;
  for (std::size_t i = 0; i < sla_opportunities.size(); ++i) {
    sla_opportunities[i] += other.sla_opportunities[i];
    sla_breaches[i] += other.sla_breaches[i];
  }
}

kpi_window::kpi_window(duration window, time_point started)
    : window_(window), slice_(std::max<duration>(duration{1}, window / 60)), started_(started) {}

kpi_summary& kpi_window::current(const std::string& tier, time_point at) {
  auto& slices = tiers_[tier];
  evict(slices, at);
  // Each count goes in the slice of its own time, even one stamped a little before the
  // newest slice (another thread's clock reading): a reopen finds an ending where it counted.
  const std::int64_t index = at.time_since_epoch() / slice_;
  auto after = slices.end();
  while (after != slices.begin() && std::prev(after)->index > index) {
    --after;
  }
  if (after != slices.begin() && std::prev(after)->index == index) {
    return std::prev(after)->counts;
  }
  return slices.insert(after, slice{index, {}, {}})->counts;
}

void kpi_window::evict(std::deque<slice>& slices, time_point now) const {
  const std::int64_t oldest = (now - window_).time_since_epoch() / slice_;
  while (slices.size() > 1 && slices.front().index <= oldest) {
    slices.pop_front();
  }
}

namespace {

void add_outcome(kpi_summary& counts, const conversation_outcome& outcome) {
  ++counts.finished;
  counts.contained += outcome.resolved && !outcome.escalated ? 1 : 0;
  counts.escalated += outcome.escalated ? 1 : 0;
  counts.resolved += outcome.resolved ? 1 : 0;
  counts.first_contact_resolved += outcome.resolved && outcome.first_contact ? 1 : 0;
  counts.abandoned += outcome.abandoned ? 1 : 0;
  counts.transfers += static_cast<std::uint64_t>(std::max(0, outcome.transfers));
  if (outcome.resolved && outcome.escalated) {
    ++counts.handled;
    counts.handle_time += outcome.handle_time;
  }
}

/// A slice's counts less the endings in it that a reopen undid.
void take_off(kpi_summary& counts, const kpi_summary& undone) {
  const auto less = [](std::uint64_t& count, std::uint64_t taken) {
    count -= std::min(count, taken);
  };
  less(counts.finished, undone.finished);
  less(counts.contained, undone.contained);
  less(counts.escalated, undone.escalated);
  less(counts.resolved, undone.resolved);
  less(counts.abandoned, undone.abandoned);
  less(counts.transfers, undone.transfers);
  less(counts.first_contact_resolved, undone.first_contact_resolved);
  less(counts.handled, undone.handled);
  counts.handle_time -= std::min(counts.handle_time, undone.handle_time);
}

}  // namespace

void kpi_window::record_outcome(const std::string& tier, const conversation_outcome& outcome,
                                time_point at) {
  add_outcome(current(tier, at), outcome);
}

void kpi_window::record_reopen(const std::string& tier, const conversation_outcome& undone,
                               time_point at) {
  ++current(tier, at).reopened;
  // The ending is taken off in the slice that counted it, so that both leave the window
  // together. One that already left the window, or ended before this process counted
  // anything (before a restart), has nothing to take off.
  const std::int64_t ended = undone.ended_at.time_since_epoch() / slice_;
  if (undone.ended_at < started_ || ended <= (at - window_).time_since_epoch() / slice_) {
    return;
  }
  auto& slices = tiers_[tier];
  const auto counted = std::find_if(slices.begin(), slices.end(),
                                    [ended](const slice& s) { return s.index == ended; });
  if (counted != slices.end()) {
    add_outcome(counted->undone, undone);
  }
}

void kpi_window::record_csat(const std::string& tier, int score, time_point at) {
  kpi_summary& counts = current(tier, at);
  ++counts.csat_count;
  counts.csat_sum += static_cast<std::uint64_t>(std::max(0, score));
}

void kpi_window::record_sla_opportunity(const std::string& tier, sla_kind sla, time_point at) {
  ++current(tier, at).sla_opportunities[static_cast<std::size_t>(sla)];
}

void kpi_window::record_sla_breach(const std::string& tier, sla_kind sla, time_point at) {
  ++current(tier, at).sla_breaches[static_cast<std::size_t>(sla)];
}

std::map<std::string, kpi_summary> kpi_window::by_tier(time_point now) {
  std::map<std::string, kpi_summary> out;
  const std::int64_t oldest = (now - window_).time_since_epoch() / slice_;
  for (auto& [tier, slices] : tiers_) {
    evict(slices, now);
    kpi_summary& sum = out[tier];
    for (const auto& s : slices) {
      if (s.index > oldest) {
        kpi_summary standing = s.counts;
        take_off(standing, s.undone);
        sum.add(standing);
      }
    }
  }
  return out;
}

}  // namespace blendroute
