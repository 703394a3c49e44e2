#pragma once
// arXiv identifiers in both styles, parsed, validated and normalised.
//   new style: YYMM.NNNN (2007-04 .. 2014-12) or YYMM.NNNNN (2015-01 on), e.g. 2401.01234v2
//   old style: archive[.SUBJ]/YYMMNNN, e.g. hep-th/9901001v1, math.AG/0309136
// The normalised id carries no version; the version (0 = not given) is kept separately.
// Accepted decorations: "arXiv:" prefix, abs/pdf URLs, "oai:arXiv.org:" prefix.

#include <optional>
#include <string>
#include <string_view>

namespace pb {

struct ArxivId {
  std::string id;   // normalised, without version: "2401.01234", "hep-th/9901001"
  int version = 0;  // 0 when the input named no version

  // Returns nullopt when `text` is not a valid arXiv identifier.
  static std::optional<ArxivId> parse(std::string_view text);

  bool old_style() const { return id.find('/') != std::string::npos; }
  // "2401.01234v2" or "2401.01234" when the version is unknown.
  std::string with_version() const;
  // Year and month encoded in the id ("2401" -> 2024, 1); used as a date of last resort.
  int year() const;
  int month() const;
};

}  // namespace pb
