// The spelling rules of the Prometheus text exposition format 0.0.4: which names are valid,
// how numbers, label values and help text are written. Kept apart from the registry so the
// rules can be tested on their own.
#pragma once
#include <string>
#include <string_view>

#include "ris/metrics/metrics.hpp"

namespace ris::metrics::exposition {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus itself).
bool valid_label_name(std::string_view name);

// A number as Prometheus parses it: integral values below 2^63 without exponent or decimal
// point, other finite values in the shortest form that reads back exactly, and +Inf, -Inf,
// NaN.
void append_value(std::string& out, double v);
std::string format_value(double v);

// Escapes backslash, double quote and newline.
void append_label_value(std::string& out, std::string_view v);

// "# HELP name text\n# TYPE name type\n"; the help text has backslash and newline escaped.
void append_header(std::string& out, std::string_view name, std::string_view help, Type type);

}  // namespace ris::metrics::exposition
