#include "observed.hpp"

#include <sstream>

namespace ris::bench {

void Observed::line(const std::string& text) {
  std::istringstream in(text);
  std::string kind;
  in >> kind;
  {
    std::lock_guard lock(mu);
    if (kind == "open") {
      ++opened;
    } else if (kind == "closed") {
      ++closed;
      last_close = text.substr(kind.size());
    } else if (kind == "rehomed") {
      int64_t t = 0;
      in >> t;
      rehomed.push_back(t);
    } else if (kind == "acked") {
      std::string run;
      int64_t t = 0;
      in >> run >> t;
      acked[run] = t;
    } else if (kind == "stream") {
      std::string run;
      Stream s;
      in >> run >> s.first_ns >> s.acked_ns >> s.chunks;
      streams.push_back(s);
    } else if (kind == "received") {
      Received r;
      in >> r.count >> r.first_ns >> r.last_ns;
      received.push_back(r);
    } else {
      return;
    }
  }
  changed.notify_all();
}

bool Observed::wait(const std::function<bool(const Observed&)>& done,
                    std::chrono::seconds timeout) {
  std::unique_lock lock(mu);
  return changed.wait_for(lock, timeout, [&] { return done(*this); });
}

void Observed::reset() {
  std::lock_guard lock(mu);
  opened = closed = 0;
  last_close.clear();
  acked.clear();
  rehomed.clear();
  streams.clear();
  received.clear();
}

}  // namespace ris::bench
