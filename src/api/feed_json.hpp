// How a key-value change and a queue message look in JSON, the same in REST answers and in
// /events/v1 frames (defined with their routes: kv_routes.cpp, queue_routes.cpp).
#pragma once
#include <boost/json/object.hpp>

#include "ris/kv/kv.hpp"
#include "ris/queue/queues.hpp"

namespace ris::api {

boost::json::object kv_change_json(const kv::Change& c);
boost::json::object queue_message_json(const queue::Message& m);

}  // namespace ris::api
