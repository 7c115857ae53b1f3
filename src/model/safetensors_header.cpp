#include "model/safetensors_header.h"

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace clipforge {
namespace {

using nlohmann::json;

struct DtypeInfo {
  const char* name;
  SafetensorsDtype dtype;
  std::size_t size;
};
constexpr DtypeInfo kDtypes[] = {
    {"F64", SafetensorsDtype::kF64, 8}, {"F32", SafetensorsDtype::kF32, 4}, {"F16", SafetensorsDtype::kF16, 2},
    {"BF16", SafetensorsDtype::kBF16, 2}, {"I64", SafetensorsDtype::kI64, 8}, {"I32", SafetensorsDtype::kI32, 4},
    {"I16", SafetensorsDtype::kI16, 2}, {"I8", SafetensorsDtype::kI8, 1}, {"U8", SafetensorsDtype::kU8, 1},
    {"BOOL", SafetensorsDtype::kBool, 1},
};

const DtypeInfo& info(SafetensorsDtype dtype) {
  return *std::find_if(std::begin(kDtypes), std::end(kDtypes), [&](const DtypeInfo& d) { return d.dtype == dtype; });
}

std::uint64_t read_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A value for an error message: containers are named, not printed, since dumping a crafted,
// deeply nested value would recurse without bound.
std::string describe(const json& v) { return v.is_structured() ? std::string("an ") + v.type_name() : v.dump(); }

std::uint64_t json_offset(const json& v, const std::string& where) {
  if (!v.is_number_unsigned()) throw input_error(where + ": expected a non-negative integer, got " + describe(v));
  return v.get<std::uint64_t>();
}

SafetensorsEntry parse_entry(const std::string& path, const std::string& name, const json& spec) {
  const std::string where = path + ": tensor '" + name + "'";
  if (!spec.is_object()) throw input_error(where + ": expected an object");
  for (const auto& [key, value] : spec.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets") throw input_error(where + ": unknown field '" + key + "'");
  if (!spec.contains("dtype") || !spec.contains("shape") || !spec.contains("data_offsets"))
    throw input_error(where + ": needs dtype, shape and data_offsets");

  SafetensorsEntry e;
  e.name = name;
  const json& dtype = spec.at("dtype");
  const auto* found = dtype.is_string() ? std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                                       [&](const DtypeInfo& d) { return dtype.get<std::string>() == d.name; })
                                        : std::end(kDtypes);
  if (found == std::end(kDtypes)) throw input_error(where + ": unknown dtype " + describe(dtype));
  e.dtype = found->dtype;

  const json& shape = spec.at("shape");
  if (!shape.is_array()) throw input_error(where + ": shape must be an array");
  std::uint64_t numel = 1;
  for (const auto& d : shape) {
    const std::uint64_t n = json_offset(d, where + " shape");
    // Bound each factor so the running product cannot overflow before the size check below.
    if (n > (1ull << 40) || (n > 0 && numel > (1ull << 62) / n))
      throw input_error(where + ": shape is too large (at dimension " + std::to_string(n) + ")");
    numel *= n;
    e.shape.push_back(static_cast<std::int64_t>(n));
  }
  const json& offsets = spec.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2) throw input_error(where + ": data_offsets must be [begin, end]");
  e.begin = json_offset(offsets[0], where + " data_offsets");
  e.end = json_offset(offsets[1], where + " data_offsets");
  if (e.end < e.begin) throw input_error(where + ": data_offsets " + offsets.dump() + " end before they begin");
  if (numel > UINT64_MAX / found->size) throw input_error(where + ": shape " + shape.dump() + " is too large");
  const std::uint64_t expected = numel * found->size;
  if (e.end - e.begin != expected)
    throw input_error(where + ": " + std::to_string(e.end - e.begin) + " bytes at offsets " + offsets.dump() +
                      " but shape " + shape.dump() + " x " + found->name + " needs " + std::to_string(expected));
  return e;
}

}  // namespace

const char* dtype_name(SafetensorsDtype dtype) { return info(dtype).name; }
std::size_t element_size(SafetensorsDtype dtype) { return info(dtype).size; }

SafetensorsLayout parse_safetensors_layout(const unsigned char* bytes, std::uint64_t size, const std::string& path) {
  if (size < 8)
    throw input_error(path + ": truncated: " + std::to_string(size) + " bytes, too short for a safetensors header");
  const std::uint64_t header_len = read_u64_le(bytes);
  if (header_len > kMaxSafetensorsHeader)
    throw input_error(path + ": header length " + std::to_string(header_len) + " exceeds the limit of " +
                      std::to_string(kMaxSafetensorsHeader) + " bytes");
  if (header_len > size - 8)
    throw input_error(path + ": header length " + std::to_string(header_len) + " runs past the end of the file (" +
                      std::to_string(size) + " bytes)");

  json header;
  try {
    header = json::parse(bytes + 8, bytes + 8 + header_len);
  } catch (const json::parse_error& e) {
    throw input_error(path + ": header is not valid JSON (at byte " + std::to_string(8 + e.byte) + ")");
  } catch (const json::exception& e) {  // found by fuzzing: a number too large for any JSON number type
    throw input_error(path + ": header is not valid JSON: " + e.what());
  }
  if (!header.is_object()) throw input_error(path + ": header is not a JSON object");

  SafetensorsLayout out;
  for (const auto& [name, spec] : header.items()) {
    if (name == "__metadata__") {
      if (!spec.is_object()) throw input_error(path + ": __metadata__ must be an object of strings");
      for (const auto& [key, value] : spec.items()) {
        if (!value.is_string()) throw input_error(path + ": __metadata__ '" + key + "' is not a string");
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (name.empty()) throw input_error(path + ": a tensor has an empty name");
    out.entries.push_back(parse_entry(path, name, spec));
  }

  // The data section must be covered exactly: no overlaps, no holes, nothing past the end.
  out.data_start = 8 + header_len;
  const std::uint64_t data_size = size - out.data_start;
  auto& entries = out.entries;
  std::sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t covered = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry& e : entries) {
    if (e.end > data_size)
      throw input_error(path + ": tensor '" + e.name + "': data_offsets [" + std::to_string(e.begin) + ", " +
                        std::to_string(e.end) + "] run past the end of the data (" + std::to_string(data_size) + " bytes)");
    if (e.begin < covered)
      throw input_error(path + ": tensor '" + e.name + "' at offset " + std::to_string(e.begin) + " overlaps '" +
                        previous->name + "' (ends at " + std::to_string(covered) + ")");
    if (e.begin > covered)
      throw input_error(path + ": unused bytes " + std::to_string(covered) + ".." + std::to_string(e.begin) +
                        " before tensor '" + e.name + "'");
    covered = e.end;
    previous = &e;
  }
  if (covered != data_size)
    throw input_error(path + ": " + std::to_string(data_size - covered) + " bytes after the last tensor (offset " +
                      std::to_string(covered) + ")");
  return out;
}

}  // namespace clipforge
