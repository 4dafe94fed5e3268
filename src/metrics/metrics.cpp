#include "ris/metrics/metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <limits>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "exposition.hpp"

namespace ris::metrics {

// ---- Histogram ----

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double v) {
  const size_t i = std::isnan(v)
                       ? bounds_.size()
                       : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                             bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    s.count += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = s.count;
  }
  s.sum = sum();
  return s;
}

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i)
    n += buckets_[i].load(std::memory_order_relaxed);
  return n;
}

// ---- Family ----

template <typename T>
Family<T>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds)
    : FamilyBase(std::move(name), std::move(help), std::move(label_names),
                 std::is_same_v<T, Counter> ? Type::counter
                 : std::is_same_v<T, Gauge> ? Type::gauge
                                            : Type::histogram),
      bounds_(std::move(bounds)) {
  if (this->label_names().empty())
    with({});
}

template <typename T>
T& Family<T>::with(std::span<const std::string_view> label_values) {
  if (label_values.size() != label_names().size()) {
    throw std::logic_error(fmt::format("metric {}: {} label values given for {} labels", name(),
                                       label_values.size(), label_names().size()));
  }
  {
    std::shared_lock lock(mu_);
    if (auto it = children_.find(label_values); it != children_.end())
      return it->second;
  }
  std::unique_lock lock(mu_);
  if (auto it = children_.find(label_values); it != children_.end())
    return it->second;
  std::vector<std::string> key(label_values.begin(), label_values.end());
  if constexpr (std::is_same_v<T, Histogram>) {
    return children_.try_emplace(std::move(key), std::span<const double>(bounds_)).first->second;
  } else {
    return children_.try_emplace(std::move(key)).first->second;
  }
}

template <typename T>
void Family<T>::render_samples(std::string& out) const {
  const auto& names = label_names();
  std::string labels;  // `{a="x",b="y"` — left open so a histogram can add `le`
  auto sample = [&](std::string_view suffix, std::string_view le, auto value) {
    out += name();
    out += suffix;
    out += labels;
    if (!le.empty()) {
      out += labels.empty() ? "{le=\"" : ",le=\"";
      out += le;
      out += '"';
    }
    if (!labels.empty() || !le.empty())
      out += '}';
    out += ' ';
    if constexpr (std::is_same_v<decltype(value), double>) {
      exposition::append_value(out, value);
    } else {
      fmt::format_to(std::back_inserter(out), "{}", value);  // exact past 2^53
    }
    out += '\n';
  };

  std::shared_lock lock(mu_);
  for (const auto& [values, child] : children_) {
    labels.clear();
    for (size_t i = 0; i < names.size(); ++i) {
      labels += i == 0 ? '{' : ',';
      labels += names[i];
      labels += "=\"";
      exposition::append_label_value(labels, values[i]);
      labels += '"';
    }
    if constexpr (std::is_same_v<T, Histogram>) {
      const auto snap = child.snapshot();
      for (size_t i = 0; i < snap.cumulative.size(); ++i) {
        const std::string le = i < bounds_.size() ? exposition::format_value(bounds_[i]) : "+Inf";
        sample("_bucket", le, snap.cumulative[i]);
      }
      sample("_sum", {}, snap.sum);
      sample("_count", {}, snap.count);
    } else {
      sample({}, {}, child.value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- Registry ----

namespace {
constexpr std::string_view kHistogramSuffixes[] = {"_bucket", "_sum", "_count"};

void check_names(const std::string& name, const std::vector<std::string>& label_names, Type type) {
  if (!exposition::valid_metric_name(name))
    throw std::logic_error("metric name '" + name + "' is not a valid Prometheus name");
  if (type == Type::counter && !name.ends_with("_total"))
    throw std::logic_error("counter " + name + " must end in _total");
  std::set<std::string_view> seen;
  for (const auto& label : label_names) {
    if (!exposition::valid_label_name(label))
      throw std::logic_error("metric " + name + ": label name '" + label + "' is not valid");
    if (type == Type::histogram && label == "le")
      throw std::logic_error("histogram " + name + ": label 'le' is reserved");
    if (!seen.insert(label).second)
      throw std::logic_error("metric " + name + ": label '" + label + "' given twice");
  }
}

// Drops an explicit trailing +Inf; the rest must be finite and strictly increasing.
std::vector<double> checked_bounds(const std::string& name, std::vector<double> bounds) {
  if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity())
    bounds.pop_back();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i])))
      throw std::logic_error("histogram " + name + ": bounds must be finite and increasing");
  }
  return bounds;
}
}  // namespace

Registry::Registry() = default;
Registry::~Registry() = default;

// A histogram `h` also writes `h_bucket`, `h_sum` and `h_count`; no other metric may use them.
void Registry::check_name_free(const std::string& name, Type type) const {
  for (auto suffix : kHistogramSuffixes) {
    if (name.ends_with(suffix)) {
      auto it = entries_.find(std::string_view(name).substr(0, name.size() - suffix.size()));
      if (it != entries_.end() && it->second.type == Type::histogram)
        throw std::logic_error("metric " + name + " clashes with histogram " + it->first);
    }
    if (type == Type::histogram && entries_.contains(name + std::string(suffix)))
      throw std::logic_error("histogram " + name + " clashes with " + name + std::string(suffix));
  }
}

template <typename T>
Family<T>& Registry::family(std::string name, std::string help,
                            std::vector<std::string> label_names, Type type,
                            std::vector<double> bounds) {
  check_names(name, label_names, type);
  if (type == Type::histogram)
    bounds = checked_bounds(name, std::move(bounds));

  std::lock_guard lock(mu_);
  if (auto it = entries_.find(name); it != entries_.end()) {
    auto* existing = dynamic_cast<Family<T>*>(it->second.family.get());
    if (existing == nullptr || existing->label_names() != label_names ||
        existing->bounds() != bounds)
      throw std::logic_error("metric " + name + " registered twice with different type or labels");
    return *existing;
  }
  check_name_free(name, type);
  auto created =
      std::make_unique<Family<T>>(name, std::move(help), std::move(label_names), std::move(bounds));
  auto& ref = *created;
  entries_.emplace(std::move(name), Entry{type, std::move(created), {}, {}});
  return ref;
}

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  return family<Counter>(std::move(name), std::move(help), std::move(label_names), Type::counter,
                         {});
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  return family<Gauge>(std::move(name), std::move(help), std::move(label_names), Type::gauge, {});
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> bounds) {
  return family<Histogram>(std::move(name), std::move(help), std::move(label_names),
                           Type::histogram, std::move(bounds));
}

void Registry::callback(std::string name, std::string help, Type type,
                        std::function<double()> read) {
  check_names(name, {}, type);
  if (!read)
    throw std::logic_error("metric " + name + ": empty callback");
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(name); it != entries_.end()) {
    if (it->second.family || it->second.type != type)
      throw std::logic_error("metric " + name + " registered twice with different type");
    it->second.help = std::move(help);
    it->second.read = std::move(read);
    return;
  }
  check_name_free(name, type);
  entries_.emplace(std::move(name), Entry{type, nullptr, std::move(help), std::move(read)});
}

void Registry::callback_gauge(std::string name, std::string help, std::function<double()> read) {
  callback(std::move(name), std::move(help), Type::gauge, std::move(read));
}

void Registry::callback_counter(std::string name, std::string help, std::function<double()> read) {
  callback(std::move(name), std::move(help), Type::counter, std::move(read));
}

std::string Registry::render() const {
  // Families are never removed, so their pointers stay valid after the lock is released;
  // callbacks may be replaced, so they are copied. Callbacks and the formatting then run
  // without the registry lock, leaving registration (and anything a callback does) unblocked.
  struct Item {
    const FamilyBase* family;
    std::string name, help;
    Type type;
    std::function<double()> read;
  };
  std::vector<Item> items;
  {
    std::lock_guard lock(mu_);
    items.reserve(entries_.size());
    for (const auto& [name, e] : entries_) {
      if (e.family)
        items.push_back({e.family.get(), {}, {}, e.type, {}});
      else
        items.push_back({nullptr, name, e.help, e.type, e.read});
    }
  }
  std::string out;
  out.reserve(items.size() * 160);
  for (const auto& item : items) {
    if (item.family) {
      exposition::append_header(out, item.family->name(), item.family->help(), item.type);
      item.family->render_samples(out);
    } else {
      exposition::append_header(out, item.name, item.help, item.type);
      out += item.name;
      out += ' ';
      exposition::append_value(out, item.read());
      out += '\n';
    }
  }
  return out;
}

}  // namespace ris::metrics
