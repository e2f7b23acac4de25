#include "cli/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

namespace waiver::cli {
namespace {

nlohmann::json scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "?") return text;  // quoted: always a string
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  try {
    std::size_t used = 0;
    long long n = std::stoll(text, &used);
    if (used == text.size()) return n;
  } catch (...) {
  }
  return text;
}

// Aliases share nodes, so a small document can expand enormously: `budget` caps the nodes read.
nlohmann::json convert(const YAML::Node& node, int depth, std::size_t& budget) {
  if (depth > 64) throw std::runtime_error("the YAML is nested too deeply");
  if (budget == 0) throw std::runtime_error("the YAML has too many values");
  --budget;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return scalar(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(convert(item, depth + 1, budget));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = convert(kv.second, depth + 1, budget);
      return out;
    }
  }
  return nullptr;
}

template <typename Json>
void emit(YAML::Emitter& out, const Json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, x] : v.items()) {
      out << YAML::Key << k << YAML::Value;
      emit(out, x);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& x : v) emit(out, x);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    out << v.template get<std::string>();
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();
  }
}

}  // namespace

nlohmann::json yaml_to_json(const std::string& text) {
  try {
    std::size_t budget = 200000;
    return convert(YAML::Load(text), 0, budget);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("cannot read the YAML at line " + std::to_string(e.mark.line + 1) + ": " +
                             e.msg);
  }
}

std::string json_to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emit(out, value);
  return std::string(out.c_str()) + "\n";
}

std::string json_to_yaml(const nlohmann::ordered_json& value) {
  YAML::Emitter out;
  emit(out, value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace waiver::cli
