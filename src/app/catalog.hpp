// The policy catalog and the approval matrix through the API: read by everyone signed in,
// changed by admins, validated as the organisation file is, each change audited.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "app/error.hpp"
#include "app/services.hpp"

namespace waiver::app {

json policy_json(const domain::Policy& p);
Outcome<std::vector<json>> list_policies(Services& s, const domain::Actor& a);
// POST (create: 409 when the id exists) and PATCH (merge: a missing field keeps its value).
Outcome<json> save_policy(Services& s, const domain::Actor& a, const std::string& id, const json& body,
                          bool create);

// The current matrix: {version, matrix (JSON), created_at?}. Version 0 when none was ever stored.
Outcome<StoredMatrix> current_matrix(Services& s, const domain::Actor& a);
// Replaces the matrix (admins). `if_version`: the version the caller last saw (412 when stale).
// A new version only when the matrix differs; returns the matrix as it now stands and whether it
// changed.
struct MatrixChange {
  StoredMatrix stored;
  bool changed = false;
};
Outcome<MatrixChange> replace_matrix(Services& s, const domain::Actor& a, const json& document,
                                     std::optional<std::int64_t> if_version);

}  // namespace waiver::app
