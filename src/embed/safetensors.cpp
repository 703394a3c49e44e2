#include "embed/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

namespace pb::embed {
namespace {

// A header larger than this is not a model header (the format's own limit is 100 MB).
constexpr std::uint64_t kMaxHeader = 100ull << 20;

struct DTypeEntry {
  const char* name;
  DType dtype;
  std::size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {"F32", DType::kF32, 4},   {"F16", DType::kF16, 2},       {"BF16", DType::kBF16, 2},
    {"F64", DType::kF64, 8},   {"I64", DType::kI64, 8},       {"I32", DType::kI32, 4},
    {"I16", DType::kI16, 2},   {"I8", DType::kI8, 1},         {"U8", DType::kU8, 1},
    {"BOOL", DType::kBool, 1}, {"U16", DType::kOther, 2},     {"U32", DType::kOther, 4},
    {"U64", DType::kOther, 8}, {"F8_E4M3", DType::kOther, 1}, {"F8_E5M2", DType::kOther, 1},
};

std::string shape_string(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace

std::int64_t TensorInfo::elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

float half_to_float(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1f;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_float(std::uint16_t h) {
  std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

SafeTensors::~SafeTensors() {
  if (map_) munmap(map_, map_size_);
}

Result<std::unique_ptr<SafeTensors>> SafeTensors::open(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::io(file.string() + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::io(file.string() + ": not a regular file");
  }
  std::size_t size = static_cast<std::size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    return Error::corrupt(file.string() + ": truncated safetensors file (" + std::to_string(size) +
                          " bytes)");
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return Error::io(file.string() + ": mmap failed");
  auto parsed =
      parse(std::span<const std::byte>(static_cast<const std::byte*>(map), size), file.string());
  if (!parsed.ok()) {
    munmap(map, size);
    return parsed.error();
  }
  (*parsed)->map_ = map;
  (*parsed)->map_size_ = size;
  return parsed;
}

Result<std::unique_ptr<SafeTensors>> SafeTensors::parse(std::span<const std::byte> data,
                                                        std::string what) {
  auto bad = [&](const std::string& why) {
    return Error::corrupt(what + ": invalid safetensors file: " + why);
  };
  if (data.size() < 8) return bad("shorter than its 8-byte header length");
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i)
    header_len = (header_len << 8) | std::to_integer<std::uint8_t>(data[i]);
  if (header_len > kMaxHeader || header_len > data.size() - 8)
    return bad("header length " + std::to_string(header_len) + " exceeds the file (" +
               std::to_string(data.size()) + " bytes)");
  std::string_view header(reinterpret_cast<const char*>(data.data()) + 8, header_len);
  nlohmann::json json = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return bad("header is not a JSON object");
  std::span<const std::byte> payload = data.subspan(8 + header_len);

  auto st = std::unique_ptr<SafeTensors>(new SafeTensors());
  st->what_ = what;
  st->data_ = data;
  for (const auto& [name, entry] : json.items()) {
    if (name == "__metadata__") continue;
    if (!entry.is_object()) return bad("entry '" + name + "' is not an object");
    auto dt = entry.find("dtype");
    auto sh = entry.find("shape");
    auto off = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string() || sh == entry.end() || !sh->is_array() ||
        off == entry.end() || !off->is_array() || off->size() != 2)
      return bad("entry '" + name + "' lacks dtype, shape or data_offsets");
    TensorInfo info;
    info.name = name;
    info.dtype_name = dt->get<std::string>();
    std::size_t elem_size = 0;
    for (const auto& d : kDTypes) {
      if (info.dtype_name == d.name) {
        info.dtype = d.dtype;
        elem_size = d.size;
      }
    }
    if (elem_size == 0) return bad("entry '" + name + "' has unknown dtype " + info.dtype_name);
    // Element count with overflow checks: dimensions are non-negative and the product must fit
    // in the payload, so anything above its size is rejected before multiplying further.
    std::uint64_t count = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
        return bad("entry '" + name + "' has a bad shape");
      std::uint64_t v = d.get<std::uint64_t>();
      info.shape.push_back(static_cast<std::int64_t>(v));
      if (v != 0 && count > payload.size() / v) {
        count = UINT64_MAX;
      } else {
        count *= v;
      }
    }
    if (!(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
      return bad("entry '" + name + "' has bad data_offsets");
    std::uint64_t begin = (*off)[0].get<std::uint64_t>();
    std::uint64_t end = (*off)[1].get<std::uint64_t>();
    if (begin > end || end > payload.size())
      return bad("tensor '" + name + "' lies outside the file (offsets " + std::to_string(begin) +
                 ".." + std::to_string(end) + ", " + std::to_string(payload.size()) +
                 " data bytes): truncated?");
    if (count == UINT64_MAX || count * elem_size != end - begin)
      return bad("tensor '" + name + "' has shape " + shape_string(info.shape) + " but " +
                 std::to_string(end - begin) + " bytes");
    info.bytes = payload.subspan(begin, end - begin);
    st->tensors_.push_back(std::move(info));
  }
  std::sort(st->tensors_.begin(), st->tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  return st;
}

const TensorInfo* SafeTensors::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, std::string_view n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name) return nullptr;
  return &*it;
}

Result<std::vector<float>> SafeTensors::read_float(
    std::string_view name, std::span<const std::int64_t> expected_shape) const {
  const TensorInfo* t = find(name);
  if (!t) return Error::invalid_input(what_ + ": missing tensor '" + std::string(name) + "'");
  if (!expected_shape.empty() &&
      !std::equal(t->shape.begin(), t->shape.end(), expected_shape.begin(), expected_shape.end()))
    return Error::invalid_input(what_ + ": tensor '" + t->name + "' has shape " +
                                shape_string(t->shape) + ", expected " +
                                shape_string(expected_shape));
  std::size_t n = static_cast<std::size_t>(t->elements());
  std::vector<float> out(n);
  const auto* p = reinterpret_cast<const unsigned char*>(t->bytes.data());
  switch (t->dtype) {
    case DType::kF32:
      std::memcpy(out.data(), p, n * 4);  // safetensors is little-endian, like x86/ARM
      break;
    case DType::kF16:
    case DType::kBF16:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t h = static_cast<std::uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
        out[i] = t->dtype == DType::kF16 ? half_to_float(h) : bf16_to_float(h);
      }
      break;
    default:
      return Error::unsupported(what_ + ": tensor '" + t->name + "' has dtype " + t->dtype_name +
                                " (F32, F16 or BF16 expected)");
  }
  return out;
}

}  // namespace pb::embed
