#include "routed.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ris::fleet {
namespace {
constexpr std::string_view kOps[] = {"send_run", "dispatch_pending", "cancel", "refresh",
                                     "disconnect"};

std::string_view op_name(RoutedItem::Op op) {
  return kOps[static_cast<size_t>(op)];
}

Result<std::string> text(const boost::json::object& o, std::string_view key, bool required) {
  const auto* v = o.if_contains(key);
  if (!v)
    return required ? Result<std::string>(fail(Errc::invalid_argument,
                                               "routed item: \"" + std::string(key) + "\" missing"))
                    : Result<std::string>(std::string());
  if (!v->is_string() || v->as_string().size() > 1024)
    return fail(Errc::invalid_argument,
                "routed item: \"" + std::string(key) + "\" must be a short string");
  return std::string(v->as_string());
}
}  // namespace

std::string serialize(const RoutedBatch& batch) {
  boost::json::array items;
  items.reserve(batch.items.size());
  for (const auto& i : batch.items) {
    boost::json::object o{{"op", op_name(i.op)}, {"agent", i.agent_id}};
    switch (i.op) {
      case RoutedItem::Op::send_run:
        o["run"] = i.run_id;
        o["task"] = i.task_id;
        break;
      case RoutedItem::Op::cancel:
        o["run"] = i.run_id;
        break;
      case RoutedItem::Op::refresh:
        o["topic"] = i.topic;
        break;
      case RoutedItem::Op::disconnect:
        o["code"] = i.code;
        o["reason"] = i.reason;
        break;
      case RoutedItem::Op::dispatch_pending:
        break;
    }
    items.emplace_back(std::move(o));
  }
  return boost::json::serialize(boost::json::object{{"from", batch.from}, {"items", items}});
}

Result<RoutedBatch> parse_routed_batch(std::string_view text_in) {
  if (text_in.size() > kMaxRoutedBatchBytes)
    return fail(Errc::too_large, "routed batch too large");
  boost::system::error_code ec;
  auto v = boost::json::parse(text_in, ec);
  if (ec || !v.is_object())
    return fail(Errc::invalid_argument, "routed batch is not a JSON object");
  const auto& o = v.as_object();
  RoutedBatch batch;
  RIS_TRY(batch.from, text(o, "from", true));
  const auto* items = o.if_contains("items");
  if (!items || !items->is_array())
    return fail(Errc::invalid_argument, "routed batch: \"items\" must be an array");
  if (items->as_array().size() > kMaxRoutedItems)
    return fail(Errc::too_large, "routed batch: too many items");
  for (const auto& iv : items->as_array()) {
    if (!iv.is_object())
      return fail(Errc::invalid_argument, "routed item is not an object");
    const auto& io = iv.as_object();
    RoutedItem item;
    RIS_TRY(auto op, text(io, "op", true));
    size_t index = std::size(kOps);
    for (size_t k = 0; k < std::size(kOps); ++k)
      if (op == kOps[k])
        index = k;
    if (index == std::size(kOps))
      return fail(Errc::invalid_argument, "routed item: unknown op \"" + op + "\"");
    item.op = static_cast<RoutedItem::Op>(index);
    RIS_TRY(item.agent_id, text(io, "agent", true));
    if (item.agent_id.empty())
      return fail(Errc::invalid_argument, "routed item: empty agent id");
    switch (item.op) {
      case RoutedItem::Op::send_run: {
        RIS_TRY(item.run_id, text(io, "run", true));
        RIS_TRY(item.task_id, text(io, "task", true));
        break;
      }
      case RoutedItem::Op::cancel: {
        RIS_TRY(item.run_id, text(io, "run", true));
        break;
      }
      case RoutedItem::Op::refresh: {
        RIS_TRY(item.topic, text(io, "topic", true));
        if (item.topic.empty())
          return fail(Errc::invalid_argument, "routed item: empty topic");
        break;
      }
      case RoutedItem::Op::disconnect: {
        const auto* c = io.if_contains("code");
        if (!c || !c->is_int64() || c->as_int64() < 1000 || c->as_int64() > 4999)
          return fail(Errc::invalid_argument, "routed item: \"code\" must be a close code");
        item.code = static_cast<uint16_t>(c->as_int64());
        RIS_TRY(item.reason, text(io, "reason", false));
        break;
      }
      case RoutedItem::Op::dispatch_pending:
        break;
    }
    batch.items.push_back(std::move(item));
  }
  return batch;
}

}  // namespace ris::fleet
