#include "cli/commands.hpp"

#include <sodium.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/identity.hpp"
#include "app/services.hpp"
#include "cli/audit_commands.hpp"
#include "cli/config.hpp"
#include "cli/csv_import.hpp"
#include "cli/demo.hpp"
#include "cli/json_log.hpp"
#include "cli/notification_commands.hpp"
#include "cli/scheduler.hpp"
#include "cli/yaml_json.hpp"
#include "http/handlers.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "net/curl_web_client.hpp"
#include "store/backup.hpp"
#include "store/copy.hpp"
#include "store/sql_store.hpp"

namespace waiver::cli {
namespace {

class SystemClock final : public app::Clock {
 public:
  domain::Instant now() const override {
    return domain::Instant{static_cast<std::int64_t>(std::time(nullptr))};
  }
};

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string one_line(const app::Error& e) {
  std::string out = e.detail;
  for (const auto& f : e.errors) out += "; " + f.field + ": " + f.message;
  return out;
}

template <typename T>
T must(app::Outcome<T> r) {
  if (!r) throw Failure(one_line(r.error()));
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// `one_shot`: a command that runs and exits (not `serve`), which may use a large SQLite page cache
// and keep SQLite's temporary storage in memory.
std::unique_ptr<app::Store> open(const Config& c, bool one_shot = false) {
  auto url = store::parse_database_url(c.db);
  if (!url) throw Failure(url.error());
  return store::open_store(*url, {.pool_size = static_cast<std::size_t>(c.db_pool_size),
                                  .migrate = true,
                                  .sqlite_cache_kib = one_shot ? 128u * 1024 : 0,
                                  .sqlite_temp_in_memory = one_shot});
}

// The database URL without its password, for messages.
std::string redacted(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::pair<std::string, std::uint16_t> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw Failure("--listen must be HOST:PORT, not '" + listen + "'");
  const std::string port = listen.substr(colon + 1);
  int p = 0;
  try {
    std::size_t used = 0;
    p = std::stoi(port, &used);
    if (used != port.size()) p = -1;
  } catch (...) {
    p = -1;
  }
  if (p < 1 || p > 65535) throw Failure("--listen: the port must be 1 to 65535, not '" + port + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, static_cast<std::uint16_t>(p)};
}

app::IdentitySettings identity_settings(const Config& c) {
  return {c.session_idle_minutes, c.session_absolute_hours, c.throttle_window_minutes,
          c.max_failures_per_account, c.max_failures_per_address};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Failure("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int run(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "waiver: libsodium cannot start\n";
    return 1;
  }
  auto logger = spdlog::stderr_color_mt("waiver");
  spdlog::set_default_logger(logger);

  CLI::App cli{"Waiver: the security and technology policy exception process"};
  cli.require_subcommand(1);
  cli.fallthrough();
  std::optional<std::string> db, config_path;
  cli.add_option("--db", db, "database URL (else WAIVER_DB, else sqlite://waiver.db)");
  cli.add_option("--config", config_path, "configuration file (else waiver.yaml if present)");

  bool demo = false;
  auto* init = cli.add_subcommand("init", "create or migrate the database");
  init->add_flag("--demo", demo, "also load a demo organisation and sample requests");

  std::optional<std::string> listen;
  auto* serve = cli.add_subcommand("serve", "serve the API and the web interface");
  serve->add_option("--listen", listen, "HOST:PORT (default 127.0.0.1:8080)");

  std::string file;
  auto* import = cli.add_subcommand("import", "load an organisation file (YAML)");
  import->add_option("FILE", file, "the organisation file")->required();
  auto* exp = cli.add_subcommand("export", "print the organisation file as it stands");

  std::string email, token_name = "cli";
  auto* token = cli.add_subcommand("token", "API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "print a new API token for a user");
  token_create->add_option("EMAIL", email, "the user")->required();
  token_create->add_option("--name", token_name, "a name for the token");

  auto* user = cli.add_subcommand("user", "users");
  user->require_subcommand(1);
  auto* set_password = user->add_subcommand("set-password", "read a password from standard input and set it");
  set_password->add_option("EMAIL", email, "the user")->required();

  std::optional<std::string> now_text;
  auto* jobs = cli.add_subcommand("jobs", "scheduled jobs");
  jobs->require_subcommand(1);
  auto* jobs_run = jobs->add_subcommand("run", "run every job due at an instant once, and exit");
  jobs_run->add_option("--now", now_text, "the instant, e.g. 2027-01-31T00:00:00Z (default: now)");

  std::string csv_file;
  bool dry_run = false;
  auto* requests = cli.add_subcommand("requests", "exception requests in bulk");
  requests->require_subcommand(1);
  auto* requests_import = requests->add_subcommand("import", "import a register from CSV, all or nothing");
  requests_import->add_option("FILE", csv_file, "CSV with the request's field names as columns")->required();
  requests_import->add_flag("--dry-run", dry_run, "check every row, import nothing");

  std::string outbox_state;
  std::optional<long long> outbox_id;
  bool retry_failed = false;
  auto* outbox = cli.add_subcommand("outbox", "notifications waiting for delivery, failed or delivered");
  outbox->require_subcommand(1);
  auto* outbox_ls = outbox->add_subcommand("list", "print the newest messages as JSON Lines");
  outbox_ls->add_option("--state", outbox_state, "queued, retrying, failed or delivered");
  auto* outbox_retry_cmd = outbox->add_subcommand("retry", "make an undelivered message due now");
  outbox_retry_cmd->add_option("ID", outbox_id, "the message");
  outbox_retry_cmd->add_flag("--failed", retry_failed, "every message given up on");

  auto* audit = cli.add_subcommand("audit", "the audit trail");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand("verify", "check the whole hash chain");
  std::optional<std::string> public_key, checkpoints_file;
  verify->add_option(
      "--public-key", public_key,
      "the Ed25519 public key (hex, base64, PEM or a file): also check every checkpoint's signature");
  verify->add_option("--checkpoints", checkpoints_file,
                     "checkpoints.jsonl of an earlier bundle: the chain must pass through those too");
  auto* audit_export = audit->add_subcommand("export", "print every audit event as JSON Lines");
  std::string key_out, bundle_out;
  auto* keygen = audit->add_subcommand("keygen", "write a new Ed25519 signing key; print its public key");
  keygen->add_option("--out", key_out, "the secret key file to create (mode 0600)")->required();
  auto* checkpoint = audit->add_subcommand("checkpoint", "sign the chain's head (WAIVER_AUDIT_SIGNING_KEY)");
  auto* bundle = audit->add_subcommand("bundle", "write an evidence archive for auditors");
  bundle->add_option("--out", bundle_out, "a new folder, or a .tar / .tar.gz file")->required();
  bundle->add_option("--public-key", public_key, "the public key to include (default: the configured key's)");

  std::string backup_file;
  auto* backup =
      cli.add_subcommand("backup", "write a consistent copy of the live database to a new SQLite file");
  backup->add_option("FILE", backup_file, "the backup file to create")->required();

  std::string copy_from, copy_to;
  auto* copy = cli.add_subcommand("copy", "copy the whole installation into a new, empty database");
  copy->add_option("--from", copy_from, "the database URL to copy (only read)")->required();
  copy->add_option("--to", copy_to, "the database URL to copy into (new or empty)")->required();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  try {
    Config config = load_config(config_path);
    if (db) config.db = *db;
    if (listen) config.listen = *listen;
    if (config.base_url.empty()) config.notify.notifications.base_url = "http://" + config.listen;
    if (config.log_format == "json") spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
    if (auto level = spdlog::level::from_str(config.log_level);
        level != spdlog::level::off || config.log_level == "off")
      spdlog::set_level(level);
    SystemClock clock;
    const std::string who = "cli:" + std::string(std::getenv("USER") ? std::getenv("USER") : "unknown");

    if (init->parsed()) {
      auto store = open(config);
      if (demo) {
        {
          auto uow = store->begin_read();
          if (!uow->user_emails().empty())
            throw Failure("the database already holds an organisation; --demo needs a new database");
        }
        auto logins = load_demo(*store, clock.now());
        std::cout << "Demo organisation loaded into " << redacted(config.db) << ".\n"
                  << "Start the server with `waiver serve` and call the API with one of these tokens:\n\n";
        for (const auto& l : logins)
          std::cout << "  " << l.email << " (" << l.role << ")\n    " << l.token << "\n";
        std::cout << "\nFor example:\n  curl -H 'Authorization: Bearer " << logins.front().token
                  << "' http://" << config.listen << "/api/v1/exceptions\n";
      } else {
        std::cout << "The database " << redacted(config.db) << " is ready.\n";
      }
      return 0;
    }
    if (serve->parsed()) {
      auto [host, port] = parse_listen(config.listen);
      auto store = open(config);
      app::Services services{
          *store, clock, {config.appeal_window_days}, identity_settings(config), config.notify.notifications};
      auto mailer = make_mailer(config);
      net::CurlWebClient webhooks;
      Scheduler scheduler(services, *mailer, webhooks, delivery_settings(config),
                          config.notify.jobs_interval_seconds, config.notify.delivery_interval_seconds);
      services.on_queued = [&scheduler] { scheduler.poke(); };
      if (!config.audit_signing_key.empty()) {
        auto key = app::read_signing_key(config.audit_signing_key);
        if (!key) throw Failure(key.error());
        scheduler.checkpoint_key = *key;
        scheduler.checkpoint_interval_seconds = config.audit_checkpoint_seconds;
        std::cout << "Signing audit checkpoints every " << config.audit_checkpoint_seconds
                  << " s (when the chain grew) with public key " << key->public_key << std::endl;
      }
      http::Context ctx{services, {}};
      ctx.idempotency_hours = config.idempotency_hours;
      ctx.rate_limits =
          std::make_shared<http::RateLimits>(config.rate_limit_per_token, config.rate_limit_per_address,
                                             std::chrono::seconds(config.rate_limit_window_seconds));
      scheduler.on_delivered = [metrics = ctx.metrics](int delivered, int failed) {
        metrics->count_deliveries(delivered, failed);
      };
      ctx.secure_cookies = config.base_url.starts_with("https://");
      app::prepare_sign_in();
      ctx.oidc = oidc_settings(config.oidc, config.base_url, config.listen);
      if (!ctx.oidc.issuer.empty())
        std::cout << "Single sign-on with " << ctx.oidc.issuer << ", callback " << ctx.oidc.redirect_url
                  << std::endl;
      const std::filesystem::path web_root =
          config.web_root.empty() ? http::default_web_root() : std::filesystem::path(config.web_root);
      std::cout << "Waiver serving " << redacted(config.db) << " on http://" << config.listen << "/api/v1"
                << std::endl;
      if (std::filesystem::is_regular_file(web_root / "index.html"))
        std::cout << "Web interface from " << web_root.string() << " on http://" << config.listen << "/"
                  << std::endl;
      else
        std::cout << "No web interface: " << (web_root / "index.html").string()
                  << " is missing (run `make web`, or set WAIVER_WEB_ROOT)" << std::endl;
      if (config.notify.smtp.url.empty())
        std::cout << "Mail is not sent, only logged: set WAIVER_SMTP_URL to send it" << std::endl;
      scheduler.start();
      http::ServerOptions options{host, port, static_cast<std::size_t>(config.threads), web_root};
      options.max_connections = static_cast<std::size_t>(config.max_connections);
      options.read_timeout = std::chrono::seconds(config.read_timeout_seconds);
      options.write_timeout = std::chrono::seconds(config.write_timeout_seconds);
      options.handler_timeout = std::chrono::seconds(config.handler_timeout_seconds);
      options.shutdown_grace = std::chrono::seconds(config.shutdown_grace_seconds);
      http::serve(ctx, options);
      scheduler.stop();
      return 0;
    }
    if (backup->parsed()) {
      auto url = store::parse_database_url(config.db);
      if (!url) throw Failure(url.error());
      const auto report = store::backup_database(*url, backup_file);
      std::cout << "Backed up " << redacted(config.db) << " to " << report.file << ": audit chain verified, "
                << report.verified.events << " events, head " << report.verified.head << "\n";
      return 0;
    }
    if (copy->parsed()) {
      auto from = store::parse_database_url(copy_from);
      if (!from) throw Failure("--from: " + from.error());
      auto to = store::parse_database_url(copy_to);
      if (!to) throw Failure("--to: " + to.error());
      const auto report = store::copy_database(*from, *to);
      std::cout << "Copied " << redacted(copy_from) << " to " << redacted(copy_to) << ":\n"
                << store::format_copy_report(report);
      return 0;
    }
    if (keygen->parsed()) return audit_keygen(key_out);
    auto store = open(config, true);
    app::Services services{
        *store, clock, {config.appeal_window_days}, identity_settings(config), config.notify.notifications};
    if (import->parsed()) {
      auto summary = must(app::import_organisation(services, yaml_to_json(read_file(file)), who));
      std::cout << "Imported: " << summary << "\n";
    } else if (exp->parsed()) {
      std::cout << json_to_yaml(must(app::export_organisation(services)));
    } else if (token_create->parsed()) {
      std::cout << must(app::create_token(services, email, token_name, who)) << "\n";
    } else if (set_password->parsed()) {
      std::string password;
      std::getline(std::cin, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
      must(app::set_password(services, email, password, who));
      sodium_memzero(password.data(), password.size());
      std::cerr << "The password of " << email << " is set.\n";
    } else if (jobs_run->parsed()) {
      domain::Instant now = clock.now();
      if (now_text) {
        auto t = domain::parse_instant(*now_text);
        if (!t) throw Failure("--now must be an instant like 2027-01-31T00:00:00Z, not '" + *now_text + "'");
        now = *t;
      }
      return cli::jobs_run(services, config, now);
    } else if (requests_import->parsed()) {
      return import_requests_csv(services, csv_file, who, dry_run);
    } else if (outbox_ls->parsed()) {
      return outbox_list(services, outbox_state, who);
    } else if (outbox_retry_cmd->parsed()) {
      if (!outbox_id && !retry_failed) throw Failure("outbox retry needs a message ID or --failed");
      return cli::outbox_retry(services, outbox_id, who);
    } else if (verify->parsed()) {
      return audit_verify(*store, public_key, checkpoints_file);
    } else if (checkpoint->parsed()) {
      return audit_checkpoint(services, config);
    } else if (bundle->parsed()) {
      return audit_bundle(services, config, bundle_out, public_key);
    } else if (audit_export->parsed()) {
      store->export_audit(
          [](const app::AuditEvent& e) { std::cout << http::event_json(e, false).dump() << "\n"; });
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "waiver: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace waiver::cli
