// YAML documents read into JSON values (and back), so one JSON decoder checks the
// organisation file.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace waiver::cli {

// Throws std::runtime_error naming the line when the YAML cannot be read.
nlohmann::json yaml_to_json(const std::string& text);
std::string json_to_yaml(const nlohmann::json& value);
// Keys in the order of the value (nlohmann::json sorts them): for documents people edit.
std::string json_to_yaml(const nlohmann::ordered_json& value);

}  // namespace waiver::cli
