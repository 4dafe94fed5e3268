#include "ris/metrics/metrics.hpp"

#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

namespace ris::metrics {

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  Counter::add_double(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) out[i] = acc += buckets_[i].load(std::memory_order_relaxed);
  return out;
}

namespace {
std::string label_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                       std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += fmt::format("{}=\"{}\"", names[i], escape_label_value(values[i]));
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += fmt::format("{}=\"{}\"", extra_name, extra_value);
  }
  return out + "}";
}
std::string_view type_name(Type t) {
  switch (t) {
    case Type::counter: return "counter";
    case Type::gauge: return "gauge";
    case Type::histogram: return "histogram";
  }
  return "untyped";
}
void header(std::string& out, const std::string& name, const std::string& help, Type t) {
  std::string h;
  for (char c : help) h += c == '\n' ? std::string("\\n") : c == '\\' ? std::string("\\\\") : std::string(1, c);
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, h, name, type_name(t));
}
}  // namespace

template <typename T>
T& Family<T>::with(const std::vector<std::string_view>& values) {
  if (values.size() != labels_.size())
    throw std::logic_error(fmt::format("metric {}: {} label values for {} labels", name_, values.size(), labels_.size()));
  std::vector<std::string> key(values.begin(), values.end());
  {
    std::shared_lock lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) return *it->second;
  T* child;
  if constexpr (std::is_same_v<T, Histogram>) child = &children_.emplace_back(bounds_);
  else child = &children_.emplace_back();
  index_.emplace(std::move(key), child);
  return *child;
}

template <typename T>
void Family<T>::render(std::string& out) const {
  header(out, name_, help_, type_);
  std::shared_lock lock(mu_);
  for (const auto& [values, child] : index_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      auto cum = child->cumulative();
      for (size_t i = 0; i < cum.size(); ++i) {
        const std::string le = i < bounds_.size() ? format_value(bounds_[i]) : "+Inf";
        out += fmt::format("{}_bucket{} {}\n", name_, label_text(labels_, values, "le", le), cum[i]);
      }
      out += fmt::format("{}_sum{} {}\n", name_, label_text(labels_, values), format_value(child->sum()));
      out += fmt::format("{}_count{} {}\n", name_, label_text(labels_, values), child->count());
    } else {
      out += fmt::format("{}{} {}\n", name_, label_text(labels_, values), format_value(child->value()));
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <typename T>
Family<T>& Registry::family(std::string name, std::string help, std::vector<std::string> labels, Type type,
                            std::vector<double> bounds) {
  if (type == Type::counter && !name.ends_with("_total"))
    throw std::logic_error("counter " + name + " must end in _total");
  std::lock_guard lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* f = dynamic_cast<Family<T>*>(it->second.get());
    if (!f || f->labels() != labels) throw std::logic_error("metric " + name + " registered twice differently");
    return *f;
  }
  auto f = std::make_unique<Family<T>>(name, std::move(help), std::move(labels), type, std::move(bounds));
  auto& ref = *f;
  families_.emplace(std::move(name), std::move(f));
  return ref;
}

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<std::string> labels) {
  return family<Counter>(std::move(name), std::move(help), std::move(labels), Type::counter, {});
}
Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
  return family<Gauge>(std::move(name), std::move(help), std::move(labels), Type::gauge, {});
}
Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<std::string> labels,
                                       std::vector<double> bounds) {
  return family<Histogram>(std::move(name), std::move(help), std::move(labels), Type::histogram, std::move(bounds));
}

void Registry::callback_gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  callbacks_[std::move(name)] = {std::move(help), Type::gauge, std::move(read)};
}
void Registry::callback_counter(std::string name, std::string help, std::function<double()> read) {
  if (!name.ends_with("_total")) throw std::logic_error("counter " + name + " must end in _total");
  std::lock_guard lock(mu_);
  callbacks_[std::move(name)] = {std::move(help), Type::counter, std::move(read)};
}

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  // Merge both maps in name order.
  std::map<std::string_view, std::function<void(std::string&)>> all;
  for (const auto& [name, f] : families_) all[name] = [f = f.get()](std::string& out) { f->render(out); };
  for (const auto& [name, cb] : callbacks_)
    all[name] = [&name, &cb](std::string& out) {
      header(out, name, cb.help, cb.type);
      out += fmt::format("{} {}\n", name, format_value(cb.read()));
    };
  std::string out;
  for (auto& [name, fn] : all) fn(out);
  return out;
}

}  // namespace ris::metrics
