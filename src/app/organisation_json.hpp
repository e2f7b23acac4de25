// The organisation file's JSON form (the YAML file is read into the same shape), both ways.
#pragma once
#include <nlohmann/json.hpp>

#include "domain/errors.hpp"
#include "domain/organisation.hpp"

namespace waiver::app {

domain::Result<domain::Matrix> matrix_from_json(const nlohmann::json& j, const std::string& at = "matrix");
nlohmann::json to_json(const domain::Matrix& m);

// Checks references too: department heads, owners and maintainers must be users in the file
// or already known (`known_users`).
domain::Result<domain::Organisation> organisation_from_json(const nlohmann::json& j,
                                                            const std::vector<std::string>& known_users);
nlohmann::json to_json(const domain::Organisation& org);

}  // namespace waiver::app
