// Errors on the wire: RFC 9457 problem+json, from a Status, in one table.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "writer/writer.h"

namespace orderhub::api {

int HttpStatusOf(Code code);
// The problem document for `st`. `extra` is appended raw inside the object
// (e.g. ,"existing_order_id":"…"), may be empty.
writer::Reply Problem(const Status& st, std::string_view extra = "");
// For query-string errors: names the parameter instead of a JSON pointer.
writer::Reply ParameterProblem(std::string_view parameter, std::string_view reason, std::string_view detail);

}  // namespace orderhub::api
