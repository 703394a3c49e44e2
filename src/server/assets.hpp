#pragma once
// Files of web/ (templates, CSS, JavaScript, icons) compiled into the binary, so that one
// binary serves the whole site.

#include <span>
#include <string_view>

namespace pb::server {

struct EmbeddedAsset {
  std::string_view path;  // relative to web/, e.g. "static/app.css"
  std::string_view data;
};

std::span<const EmbeddedAsset> embedded_assets();

// The asset at `path`, or nullptr.
const EmbeddedAsset* find_asset(std::string_view path);

}  // namespace pb::server
