#include "server/openapi.hpp"

#include "server/assets.hpp"

namespace pb::server {

std::string_view openapi_document() {
  const EmbeddedAsset* a = find_asset("openapi.json");
  return a ? a->data : std::string_view("{}");
}

}  // namespace pb::server
