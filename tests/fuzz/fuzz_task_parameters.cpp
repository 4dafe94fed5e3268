// Task parameters as POSTed to /api/v1/spaces/{space}/tasks and received by agents: any JSON
// {"type": …, "parameters": {…}} is either accepted or refused with a message, never a crash;
// an accepted set is accepted again after its own serialisation.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <string_view>

#include "ris/fleet/task_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::json::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_object())
    return 0;
  const auto* type = v.as_object().if_contains("type");
  const auto* params = v.as_object().if_contains("parameters");
  if (!type || !type->is_string() || !params || !params->is_object())
    return 0;
  auto checked = ris::fleet::validate_parameters(type->as_string(), params->as_object());
  if (!checked) {
    if (checked.error().message.empty())
      __builtin_trap();  // a refusal must say why
    return 0;
  }
  auto again = boost::json::parse(boost::json::serialize(*params));
  if (!ris::fleet::validate_parameters(type->as_string(), again.as_object()))
    __builtin_trap();
  return 0;
}
