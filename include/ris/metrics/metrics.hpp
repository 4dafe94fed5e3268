// A small Prometheus metrics registry, rendered in text exposition format 0.0.4 for /metrics.
//
// Metrics are updated on the I/O threads for every request, so updating a metric the caller
// already holds is one or two relaxed atomic operations, with no lock. Finding a labelled child
// takes a reader lock (a writer lock only the first time a label set is seen) and allocates
// nothing. Children never move, so callers may keep `Counter&` for the life of the registry.
//
// Misuse — a counter name without `_total`, a name registered twice with a different type or
// labels, the wrong number of label values — is a programming error and throws
// std::logic_error, which surfaces at start-up where metrics are registered.
#pragma once
#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ris::metrics {

// Content-Type to serve Registry::render() with.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Only goes up. A negative or NaN step is a programming error: asserted in debug builds,
// ignored otherwise (a counter that went down would read as a process restart).
class Counter {
 public:
  void inc(double v = 1) {
    assert(v >= 0);
    if (v >= 0)
      value_.fetch_add(v, std::memory_order_relaxed);
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets with fixed upper bounds (v <= bound; NaN goes to +Inf, as
// in the Go client). The sum is an atomic<double> added with fetch_add (a CAS loop inside
// libstdc++), so it keeps sub-nanosecond values and units other than seconds. The count is
// not stored: it is the total of the buckets, so _count always equals the +Inf bucket.
class Histogram {
 public:
  // `bounds` (sorted, finite, without +Inf) must outlive the histogram; its family owns them.
  explicit Histogram(std::span<const double> bounds);

  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  std::span<const double> bounds() const { return bounds_; }

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, last is +Inf
  std::atomic<double> sum_{0};
};

enum class Type { counter, gauge, histogram };

// What the registry needs from every family, whatever its metric type.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names, Type type)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        type_(type) {}
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  Type type() const { return type_; }
  // Appends the samples (not the # HELP / # TYPE lines), children in label-value order.
  virtual void render_samples(std::string& out) const = 0;

 private:
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const Type type_;
};

// Orders label-value lists of std::string or std::string_view alike, so a lookup by
// string_views needs no allocation.
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

// One metric name with its children, one per set of label values. An unlabelled family has
// its single child from the start, so it is exported (as 0) before first use.
template <typename T>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {});

  // Label values in the order of the family's label names; throws std::logic_error on a wrong
  // count.
  T& with(std::initializer_list<std::string_view> label_values) {
    return with(std::span<const std::string_view>(label_values.begin(), label_values.size()));
  }
  T& with(std::span<const std::string_view> label_values);

  const std::vector<double>& bounds() const { return bounds_; }  // histograms only
  void render_samples(std::string& out) const override;

 private:
  const std::vector<double> bounds_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, T, LabelValuesLess> children_;  // map nodes never move
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering a name again returns the existing family if type, labels (and bounds) match,
  // and throws std::logic_error otherwise. Counter names must end in `_total`.
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string name, std::string help,
                       std::vector<std::string> label_names = {});
  // `bounds`: strictly increasing upper bounds; a trailing +Inf may be given and is implied.
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> label_names, std::vector<double> bounds);

  // A value read at scrape time (open fds, queue depths, connected agents). `read` runs on the
  // scraping thread without the registry's lock held. Registering the same name again with the
  // same type replaces the callback, so a restarted component can re-register.
  void callback_gauge(std::string name, std::string help, std::function<double()> read);
  void callback_counter(std::string name, std::string help, std::function<double()> read);

  // Text exposition format 0.0.4, families sorted by name.
  std::string render() const;

 private:
  struct Entry {
    Type type;
    std::unique_ptr<FamilyBase> family;  // or, for a callback:
    std::string help;
    std::function<double()> read;
  };
  template <typename T>
  Family<T>& family(std::string name, std::string help, std::vector<std::string> label_names,
                    Type type, std::vector<double> bounds);
  void callback(std::string name, std::string help, Type type, std::function<double()> read);
  void check_name_free(const std::string& name, Type type) const;

  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace ris::metrics
