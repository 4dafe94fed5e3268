// Durable messages: what must survive a server's crash or a NATS restart (queues, resume
// buffers kept outside the store) goes through a Stream, backed by NATS JetStream. The Bus
// (bus.hpp) stays at-most-once and is for notifications only.
//
// A stream stores the messages published to its subjects, on disk, within its limits (age,
// bytes). A durable pull consumer reads them at least once: each fetched message is
// redelivered until it is acknowledged — after ack_wait when nobody answers, after the given
// delay on nak() — up to max_deliver deliveries; term() stops it at once. Several servers
// fetching from the same durable consumer share its messages (each goes to one of them).
//
// Dead letters: a message delivered max_deliver times without an ack is not delivered again
// (NATS publishes the advisory $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>)
// and stays in the stream until its limits remove it. A consumer that wants a dead-letter
// queue sees `deliveries == max_deliver` on the last attempt and publishes the message to a
// dead-letter subject itself before term()/ack().
//
// Only on NATS: there is no in-process implementation (single-server mode keeps durable work,
// queues included, in the Store).
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::bus {

enum class StreamStorage { file, memory };

// JetStream domains: NATS servers linked by leaf nodes (one LAN each) keep separate JetStreams,
// each named by its `jetstream { domain: … }`. A stream or consumer with a domain is managed
// through that domain's API ($JS.<domain>.API, over the leaf link); an empty domain is the
// JetStream of the server this connection reaches.
struct StreamConfig {
  std::string name;                      // letters, digits, '-' and '_' ("QUEUES")
  std::vector<std::string> subjects;     // what it captures: subjects or patterns ("queue.>")
  std::chrono::milliseconds max_age{0};  // older messages are removed; 0: no limit
  int64_t max_bytes = -1;                // oldest messages removed beyond it; -1: no limit
  int64_t max_msgs = -1;                 // oldest messages removed beyond it; -1: no limit
  int replicas = 1;  // copies on a NATS cluster (1..5); more than 1 needs a clustered JetStream
  StreamStorage storage = StreamStorage::file;
  // A second publish with the same msg_id within this window is stored once.
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
  std::string domain;  // where the stream lives (see above)
  // A mirror: a read-only copy of the stream `mirror_of` in `mirror_domain`, kept up to date
  // by JetStream itself, catching up after the link between the domains was down; its messages
  // keep their sequence numbers. A mirror has no subjects of its own.
  std::string mirror_of, mirror_domain;
};

enum class DeliverFrom { all, new_only, sequence, time };

struct ConsumerConfig {
  std::string stream;
  std::string durable;         // its name: letters, digits, '-' and '_'; kept by the server
  std::string filter_subject;  // only these subjects of the stream; empty: all
  std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};  // redelivered after this
  int max_deliver = -1;  // deliveries of one message at most; -1: no limit
  // Where a new durable starts (ignored when it exists): every stored message, only those
  // published after it was made, from start_sequence, or from the first stored at start_time.
  DeliverFrom deliver = DeliverFrom::all;
  uint64_t start_sequence = 1;
  std::chrono::system_clock::time_point start_time{};
  std::string domain;  // of the stream
};

// One delivery, to be answered later and from any connection (Streams::answer()): what a
// server hands to a client that acknowledges through another request, or another server.
struct Delivery {
  std::string stream, durable;
  std::string token;  // what identifies the delivery: StreamMessage::token
};
enum class Answer { ack, nak, term };

namespace detail {
class Acknowledger;
}

// One delivery of a stored message. Answer it once (ack, nak or term); a message left
// unanswered is redelivered after ack_wait.
class StreamMessage {
 public:
  std::string subject;
  std::string data;
  uint64_t sequence = 0;    // in the stream: the number publish() returned
  uint64_t deliveries = 0;  // 1 the first time, 2 on the first redelivery, ...
  std::chrono::system_clock::time_point published;  // when the stream stored it
  std::chrono::system_clock::time_point delivered;  // when this delivery left the server
  // This delivery, for Streams::answer(): digits and dots (its numbers in the ack subject).
  std::string token;

  // Done: never delivered again. Waits (bounded) until the server confirmed it, so an ok
  // means it will not come back; an error (Errc::unavailable) means it may.
  Result<void> ack();
  // Not done: deliver it again after `delay` (0: as soon as possible).
  Result<void> nak(std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  // Give up on it: never delivered again to this consumer, without being processed.
  Result<void> term();
  // Still working on it: restarts its ack_wait.
  Result<void> in_progress();

  StreamMessage();
  StreamMessage(StreamMessage&&) noexcept;
  StreamMessage& operator=(StreamMessage&&) noexcept;
  ~StreamMessage();
  explicit StreamMessage(std::unique_ptr<detail::Acknowledger> a);

 private:
  std::unique_ptr<detail::Acknowledger> acknowledger_;
};

// A durable pull consumer. fetch() is not to be called from two threads at once on one
// Consumer; open one Consumer per worker thread instead (they share the durable's messages).
class Consumer {
 public:
  virtual ~Consumer() = default;
  // Up to `max` messages: those there now, or, when there are none, the first ones to arrive
  // within `timeout` (0: a moment, for the server's answer); none when none came.
  // Errc::unavailable when NATS is unreachable.
  virtual Result<std::vector<StreamMessage>> fetch(int max, std::chrono::milliseconds timeout) = 0;
};

// One NATS connection for JetStream. Thread-safe.
class Streams {
 public:
  virtual ~Streams() = default;
  // Creates the stream, or updates it to `config`. Errc::invalid_argument for a config that
  // is wrong in itself (names, limits, replicas the server cannot give), Errc::conflict for
  // one that clashes with what exists (subjects of another stream, a storage type that
  // cannot change); the message says which. Errc::unavailable when JetStream does not answer.
  virtual Result<void> ensure(const StreamConfig& config) = 0;
  // Stores a message and returns its sequence in the stream once JetStream acknowledged it.
  // With a msg_id, a repeat within the stream's duplicate_window is stored once (and returns
  // the first one's sequence; `duplicate` says so). Errc::unavailable when no acknowledgement came
  // within `timeout` (NATS down, no JetStream): the message may or may not be stored, so retry with
  // the same msg_id. Errc::not_found when no stream captures the subject, Errc::too_large
  // over the server's max_payload.
  virtual Result<uint64_t> publish(std::string_view subject, std::string_view data,
                                   std::string_view msg_id = {},
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                   bool* duplicate = nullptr) = 0;
  // Creates the durable consumer or updates it to `config` (errors as for ensure()), and
  // opens it for fetching.
  virtual Result<std::unique_ptr<Consumer>> consumer(const ConsumerConfig& config) = 0;
  // Answers a delivery fetched through any connection; waits for the server's confirmation.
  // Errc::invalid_argument for a token that is not one; Errc::unavailable when nobody confirmed
  // (NATS down, or the consumer is gone).
  virtual Result<void> answer(const Delivery& delivery, Answer answer,
                              std::string_view domain = {}) = 0;
  // The same for several deliveries of one consumer, confirmed together: the server answers
  // them in order, so the confirmation of the last covers the others.
  virtual Result<void> answer_all(const std::vector<Delivery>& deliveries, Answer answer) = 0;
  // Removes a stream (and its consumers) or one consumer; removing what is not there is ok.
  virtual Result<void> remove_stream(std::string_view name, std::string_view domain = {}) = 0;
  virtual Result<void> remove_consumer(std::string_view stream, std::string_view durable,
                                       std::string_view domain = {}) = 0;
  // The stream sequence the durable has delivered up to (0: nothing yet).
  virtual Result<uint64_t> delivered(std::string_view stream, std::string_view durable,
                                     std::string_view domain = {}) = 0;
  // The JetStream domain of the server this connection reaches ("" when it has none).
  virtual Result<std::string> local_domain() = 0;
  virtual bool connected() const = 0;
};

// The same URLs as open_bus() (nats://, tls://, several comma-separated, credentials, TLS
// files); connects in the background and reconnects forever. A bad URL →
// Errc::invalid_argument; an empty one too (there is no in-process Stream).
Result<std::unique_ptr<Streams>> open_streams(std::string_view url);

namespace detail {
// How a StreamMessage answers the server (implemented by the NATS backend).
class Acknowledger {
 public:
  virtual ~Acknowledger() = default;
  virtual Result<void> ack() = 0;
  virtual Result<void> nak(std::chrono::milliseconds delay) = 0;
  virtual Result<void> term() = 0;
  virtual Result<void> in_progress() = 0;
};
}  // namespace detail

}  // namespace ris::bus
