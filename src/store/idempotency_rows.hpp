// The SQL of Idempotency-Key claims and recorded answers (table idempotency_keys), both engines.
#pragma once
#include <soci/soci.h>

#include "app/ports.hpp"

namespace waiver::store::idempotency_rows {

std::optional<app::IdempotentAnswer> find(soci::session& sql, const std::string& scope,
                                          const std::string& key);
bool claim(soci::session& sql, const std::string& scope, const std::string& key,
           const std::string& request_hash, domain::Instant at, domain::Instant expired_before);
void record(soci::session& sql, const std::string& scope, const std::string& key,
            const app::IdempotentAnswer& a);
void purge(soci::session& sql, domain::Instant expired_before);

}  // namespace waiver::store::idempotency_rows
