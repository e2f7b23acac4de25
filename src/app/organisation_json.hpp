// The organisation file's JSON form (the YAML file is read into the same shape), both ways.
#pragma once
#include <nlohmann/json.hpp>

#include "domain/errors.hpp"
#include "domain/organisation.hpp"

namespace waiver::app {

domain::Result<domain::Matrix> matrix_from_json(const nlohmann::json& j, const std::string& at = "matrix");
nlohmann::json to_json(const domain::Matrix& m);
// The matrix as a document of its own (PUT /matrix): the same checks as in the organisation file,
// slots given to users included; error places are relative to the document (`rules.2.when.type`).
domain::Result<domain::Matrix> matrix_document_from_json(const nlohmann::json& j,
                                                         const std::vector<std::string>& known_users);

// Checks references too: department heads, owners and maintainers must be users in the file
// or already known (`known_users`).
domain::Result<domain::Organisation> organisation_from_json(const nlohmann::json& j,
                                                            const std::vector<std::string>& known_users);
nlohmann::json to_json(const domain::Organisation& org);

}  // namespace waiver::app
