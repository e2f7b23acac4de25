// The SQL of the audit trail's signed checkpoints (table audit_checkpoints), for both engines;
// the unit of work forwards to these.
#pragma once
#include <soci/soci.h>

#include "app/ports.hpp"

namespace waiver::store::checkpoint_rows {

app::AuditHead head(soci::session& sql);
app::Id add(soci::session& sql, const app::AuditCheckpoint& c);
std::vector<app::AuditCheckpoint> all(soci::session& sql);

}  // namespace waiver::store::checkpoint_rows
