// People, departments and the policy catalog, as the organisation file describes them.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/matrix.hpp"
#include "domain/vocabulary.hpp"

namespace waiver::domain {

struct User {
  std::string email;
  std::string name;
  std::string department;  // empty when none
  std::set<Role> roles;
};

struct Department {
  std::string name;
  std::string head;  // email, empty when none
};

struct Policy {
  std::string id;  // slug
  std::string title;
  PolicyKind kind = PolicyKind::policy;
  std::string owner;  // email
  std::vector<std::string> maintainers;
  std::vector<int> reminder_days;  // days before an end date; empty: the configured default
};

struct Organisation {
  std::vector<User> users;
  std::vector<Department> departments;
  std::vector<Policy> policies;
  std::optional<Matrix> matrix;
};

// The caller as the rules need to know them: identity, roles and what they head, own, maintain.
struct Actor {
  std::string email;
  std::string name;
  std::string department;
  std::set<Role> roles;
  std::set<std::string> heads;      // department names
  std::set<std::string> owns;       // policy ids
  std::set<std::string> maintains;  // policy ids

  bool has(Role r) const { return roles.contains(r); }
};

}  // namespace waiver::domain
