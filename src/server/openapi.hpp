#pragma once
// The OpenAPI 3 document of the JSON API, served at /api/openapi.json.

#include <string_view>

namespace pb::server {

std::string_view openapi_document();

}  // namespace pb::server
