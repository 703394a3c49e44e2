#include "core/arxiv_id.hpp"

#include <cctype>

namespace pb {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// Archive names of old-style ids: lower-case letters and '-', optionally ".XX" subject class.
bool valid_archive(std::string_view a) {
  auto dot = a.find('.');
  std::string_view name = a.substr(0, dot);
  if (name.size() < 2 || name.size() > 12) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  if (dot != std::string_view::npos) {
    std::string_view sub = a.substr(dot + 1);
    if (sub.size() != 2) return false;
    for (char c : sub)
      if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::optional<ArxivId> ArxivId::parse(std::string_view text) {
  std::string_view s = trim(text);
  for (std::string_view prefix :
       {"oai:arxiv.org:", "https://arxiv.org/abs/", "http://arxiv.org/abs/",
        "https://arxiv.org/pdf/", "http://arxiv.org/pdf/", "https://export.arxiv.org/abs/",
        "http://export.arxiv.org/abs/", "arxiv:"}) {
    if (starts_with_icase(s, prefix)) {
      s.remove_prefix(prefix.size());
      break;
    }
  }
  if (s.size() > 4 && s.substr(s.size() - 4) == ".pdf") s.remove_suffix(4);
  if (s.empty() || s.size() > 40) return std::nullopt;

  // Split off a version suffix "vN".
  int version = 0;
  auto v = s.rfind('v');
  if (v != std::string_view::npos && v + 1 < s.size() && all_digits(s.substr(v + 1)) && v > 0 &&
      std::isdigit(static_cast<unsigned char>(s[v - 1]))) {
    std::string_view digits = s.substr(v + 1);
    if (digits.size() > 4) return std::nullopt;
    version = to_int(digits);
    if (version == 0) return std::nullopt;
    s = s.substr(0, v);
  }

  ArxivId out;
  out.version = version;
  auto slash = s.find('/');
  if (slash == std::string_view::npos) {
    // New style: YYMM.NNNN(N)
    auto dot = s.find('.');
    if (dot != 4) return std::nullopt;
    std::string_view yymm = s.substr(0, 4), num = s.substr(5);
    if (!all_digits(yymm) || !all_digits(num)) return std::nullopt;
    int yy = to_int(yymm.substr(0, 2)), mm = to_int(yymm.substr(2));
    if (mm < 1 || mm > 12) return std::nullopt;
    // New-style ids started in April 2007; five-digit numbers from January 2015.
    if (yy < 7 || (yy == 7 && mm < 4)) return std::nullopt;
    if (yy < 15 ? num.size() != 4 : num.size() != 5) return std::nullopt;
    out.id = std::string(s);
  } else {
    std::string archive(s.substr(0, slash));
    for (auto& c : archive) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // The subject class keeps arXiv's upper-case spelling: math.AG
    auto dot = archive.find('.');
    if (dot != std::string::npos)
      for (size_t i = dot + 1; i < archive.size(); ++i)
        archive[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(archive[i])));
    std::string_view num = s.substr(slash + 1);
    if (!valid_archive(archive) || num.size() != 7 || !all_digits(num)) return std::nullopt;
    int yy = to_int(num.substr(0, 2)), mm = to_int(num.substr(2, 2));
    if (mm < 1 || mm > 12) return std::nullopt;
    // Old-style ids ran from August 1991 to March 2007.
    if (!(yy >= 91 || yy <= 7)) return std::nullopt;
    out.id = archive + "/" + std::string(num);
  }
  return out;
}

std::string ArxivId::with_version() const {
  return version > 0 ? id + "v" + std::to_string(version) : id;
}

int ArxivId::year() const {
  std::string_view digits = id;
  if (auto slash = digits.find('/'); slash != std::string_view::npos)
    digits = digits.substr(slash + 1);
  int yy = (digits[0] - '0') * 10 + (digits[1] - '0');
  return yy >= 91 ? 1900 + yy : 2000 + yy;
}

int ArxivId::month() const {
  std::string_view digits = id;
  if (auto slash = digits.find('/'); slash != std::string_view::npos)
    digits = digits.substr(slash + 1);
  return (digits[2] - '0') * 10 + (digits[3] - '0');
}

}  // namespace pb
