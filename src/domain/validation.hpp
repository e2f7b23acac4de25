// Validation of what people write, each error naming the field at fault.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/errors.hpp"
#include "domain/exception_request.hpp"

namespace waiver::domain {

inline constexpr std::size_t kMaxTitle = 200;
inline constexpr std::size_t kMaxText = 20000;
inline constexpr std::size_t kMaxShort = 500;
inline constexpr std::size_t kMaxItems = 100;

// Checks every field that is set; a draft needs only a title and a policy.
FieldErrors validate_draft(const RequestContent& c);

// Everything a request must hold before it goes to its approvers; max_days from the matrix.
FieldErrors validate_for_submit(const RequestContent& c, int max_days);

// A compensating control list as the owner's decision carries it (at least one item).
FieldErrors validate_controls(const std::vector<CompensatingControl>& controls, const std::string& field,
                              bool required);

bool is_http_url(std::string_view url);

// Adds an error when `text` is longer than `max` characters or holds a NUL or control byte.
void check_text(FieldErrors& errors, const std::string& field, const std::string& text, std::size_t max);

}  // namespace waiver::domain
