#pragma once
// Helpers shared by the lexical index tests.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "index/lexical/segment_format.hpp"
#include "index/lexical/segment_writer.hpp"

namespace pb::lexical::testing {

inline IndexDoc doc(std::string id, std::string title, std::string abstract,
                    std::vector<std::string> authors = {}, std::vector<std::string> cats = {},
                    std::int32_t day = kUnknownDay) {
  IndexDoc d;
  d.id = std::move(id);
  d.title = std::move(title);
  d.abstract = std::move(abstract);
  d.authors = std::move(authors);
  d.categories = std::move(cats);
  d.day = day;
  return d;
}

}  // namespace pb::lexical::testing
