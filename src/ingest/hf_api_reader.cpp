// Hugging Face api/daily_papers responses: one JSON array of items. A response is a few
// hundred kilobytes, so it is read whole (up to a hard cap) and parsed once.

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "ingest/json_records.hpp"

namespace pb::ingest {
namespace {

constexpr size_t kMaxDocument = 512u << 20;

class HfApiReader final : public RecordReader {
 public:
  explicit HfApiReader(std::unique_ptr<InputStream> in) : in_(std::move(in)) {}

  Result<bool> next(Record& out) override {
    if (!loaded_) PB_RETURN_IF_ERROR(load());
    if (index_ >= items_.size()) return false;
    simdjson::dom::element e = items_[index_++];
    out.where = fmt::format("{}:item {}", in_->path(), index_);
    out.ignored = false;
    out.repaired_utf8 = repaired_;
    simdjson::dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS)
      out.paper = Error::invalid_input("not a JSON object");
    else
      out.paper = paper_from_hf_item(o);
    return true;
  }

  Format format() const override { return Format::kHfDailyApi; }
  const InputStream& input() const override { return *in_; }

 private:
  Status load() {
    loaded_ = true;
    std::string text;
    char buf[1 << 16];
    for (;;) {
      PB_ASSIGN_OR_RETURN(size_t got, in_->read(buf, sizeof buf));
      if (got == 0) break;
      text.append(buf, got);
      if (text.size() > kMaxDocument)
        return Error::unsupported(fmt::format("{}: Hugging Face API document larger than {} MB",
                                              in_->path(), kMaxDocument >> 20));
    }
    if (!simdjson::validate_utf8(text.data(), text.size())) {
      text = utf8::repair(text);
      repaired_ = true;
    }
    doc_ = simdjson::padded_string(text);
    simdjson::dom::element root;
    if (auto err = parser_.parse(doc_).get(root))
      return Error::invalid_input(
          fmt::format("{}: invalid JSON ({})", in_->path(), simdjson::error_message(err)));
    simdjson::dom::array arr;
    if (root.get_array().get(arr) != simdjson::SUCCESS)
      return Error::invalid_input(fmt::format("{}: expected a JSON array", in_->path()));
    for (simdjson::dom::element e : arr) items_.push_back(e);
    return ok_status();
  }

  std::unique_ptr<InputStream> in_;
  simdjson::dom::parser parser_;
  simdjson::padded_string doc_;
  std::vector<simdjson::dom::element> items_;
  size_t index_ = 0;
  bool loaded_ = false;
  bool repaired_ = false;
};

}  // namespace

std::unique_ptr<RecordReader> make_hf_api_reader(std::unique_ptr<InputStream> in) {
  return std::make_unique<HfApiReader>(std::move(in));
}

}  // namespace pb::ingest
