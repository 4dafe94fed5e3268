// A small Prometheus registry. Updating a metric the caller already holds is a relaxed atomic;
// finding a labelled child takes a reader lock (a writer lock only the first time a label set
// is seen). Children never move, so callers may keep references.
#pragma once
#include <atomic>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ris::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

class Counter {
 public:
  void inc(double v = 1) { add_double(value_, v); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  static void add_double(std::atomic<double>& a, double v) {
    double cur = a.load(std::memory_order_relaxed);
    while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
  }
  friend class Gauge;
  friend class Histogram;
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { Counter::add_double(value_, v); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double v);
  // Cumulative counts per bound (last entry: +Inf), sum, count.
  std::vector<uint64_t> cumulative() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

enum class Type { counter, gauge, histogram };

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> labels, Type type)
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)), type_(type) {}
  virtual ~FamilyBase() = default;
  virtual void render(std::string& out) const = 0;
  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::vector<std::string>& labels() const { return labels_; }

 protected:
  std::string name_, help_;
  std::vector<std::string> labels_;
  Type type_;
};

template <typename T>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels, Type type,
         std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), std::move(labels), type), bounds_(std::move(bounds)) {}

  T& with(std::initializer_list<std::string_view> values) { return with(std::vector<std::string_view>(values)); }
  T& with(const std::vector<std::string_view>& values);
  void render(std::string& out) const override;

 private:
  std::vector<double> bounds_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, T*, std::less<>> index_;
  std::deque<T> children_;  // deque: stable addresses
};

class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                               std::vector<double> bounds);
  // Values read at scrape time (open fds, connected agents). Registering a name again replaces
  // the callback (a restarted component re-registers).
  void callback_gauge(std::string name, std::string help, std::function<double()> read);
  void callback_counter(std::string name, std::string help, std::function<double()> read);
  std::string render() const;

 private:
  struct Callback {
    std::string help;
    Type type;
    std::function<double()> read;
  };
  template <typename T>
  Family<T>& family(std::string name, std::string help, std::vector<std::string> labels, Type type,
                    std::vector<double> bounds);
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::map<std::string, Callback> callbacks_;
};

// Number formatting Prometheus parses: integers exactly, +Inf/-Inf/NaN spelled its way.
std::string format_value(double v);
std::string escape_label_value(std::string_view v);

}  // namespace ris::metrics
