// SOCI conversions for std::optional, and integer reads that work on both engines.
#pragma once
#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soci {

template <typename T>
struct type_conversion<std::optional<T>> {
  using base_type = T;
  static void from_base(const T& in, indicator ind, std::optional<T>& out) {
    if (ind == i_null)
      out.reset();
    else
      out = in;
  }
  static void to_base(const std::optional<T>& in, T& out, indicator& ind) {
    if (in) {
      out = *in;
      ind = i_ok;
    } else {
      out = T{};
      ind = i_null;
    }
  }
};

}  // namespace soci

namespace waiver::store {

// Through soci::row, an integer column is int on SQLite and long long on PostgreSQL. A column is
// named (soci::row finds a name in a std::map on every read: twice for a text, three times for an
// integer) or, where it counts, given by position (a request's 45 columns: a tenth of its read).
template <typename Column>
std::optional<std::int64_t> integer_of(const soci::row& r, const Column& c) {
  if (r.get_indicator(c) == soci::i_null) return std::nullopt;
  switch (r.get_properties(c).get_data_type()) {
    case soci::dt_integer: return r.get<int>(c);
    case soci::dt_long_long: return r.get<long long>(c);
    case soci::dt_unsigned_long_long: return static_cast<std::int64_t>(r.get<unsigned long long>(c));
    case soci::dt_double: return static_cast<std::int64_t>(r.get<double>(c));
    default: return std::stoll(r.get<std::string>(c));
  }
}
inline std::optional<std::int64_t> int_at(const soci::row& r, const std::string& name) {
  return integer_of(r, name);
}
inline std::optional<std::int64_t> int_at(const soci::row& r, std::size_t i) { return integer_of(r, i); }
inline std::optional<std::string> opt_text_at(const soci::row& r, std::size_t i) {
  if (r.get_indicator(i) == soci::i_null) return std::nullopt;
  return r.get<std::string>(i);
}

inline std::string text_at(const soci::row& r, const std::string& name) {
  if (r.get_indicator(name) == soci::i_null) return {};
  return r.get<std::string>(name);
}

inline std::optional<std::string> opt_text_at(const soci::row& r, const std::string& name) {
  if (r.get_indicator(name) == soci::i_null) return std::nullopt;
  return r.get<std::string>(name);
}

// The pieces of a comma-separated column (roles, a policy's reminder days, the ids of a request's
// extensions), in order; empty pieces ("", "a,,b", "a,") are left out.
inline std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace waiver::store
