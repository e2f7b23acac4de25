// The approval figure of `make bench`: approvals through the real server against the same rows
// written by the raw SQLite C API, both with many threads, on this machine, in one run.
//
//   waiver-approve-bench URL DB_FILE REQUESTER_TOKEN HEAD_TOKEN COUNT THREADS
//
// 1. Creates and submits COUNT requests as the requester (not timed).
// 2. Times THREADS clients (libcurl, keep-alive) approving their department slot over HTTP: each
//    approval is a transaction of the server (the slot, the state, the audit event, the outbox).
// 3. Copies the database (SQLite's online backup), then times THREADS connections of the raw C API
//    writing the same rows once per approval, each approval one transaction with the server's
//    settings (WAL, synchronous = FULL): the request's row, the audit event, the chain's head and
//    the outbox messages that approval queued. That is the ceiling: no HTTP, no JSON, no checks.
// Prints "approvals/s ceiling/s".
#include <curl/curl.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Http {
  Http(std::string b, std::string t) : base(std::move(b)), token(std::move(t)) {}
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;
  ~Http() { curl_easy_cleanup(curl); }
  std::string base, token;
  CURL* curl = curl_easy_init();

  static size_t collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  }
  // POSTs JSON; returns the status and fills `body`.
  long post(const std::string& path, const std::string& payload, std::string& body) {
    body.clear();
    curl_slist* headers = nullptr;
    const std::string auth = "Authorization: Bearer " + token;
    headers = curl_slist_append(headers, auth.c_str());
    headers = curl_slist_append(headers, "Content-Type: application/json");
    const std::string url = base + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    return status;
  }
};

// Runs `work(i)` for i in [0, count) on `threads` threads; returns the seconds it took.
template <typename F>
double in_parallel(int count, int threads, F&& work) {
  std::atomic<int> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = next++; i < count; i = next++) work(t, i);
    });
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}

sqlite3* open_db(const std::string& path) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db, "open");
  sqlite3_busy_timeout(db, 30000);
  check(sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
                     nullptr, nullptr, nullptr),
        db, "pragmas");
  return db;
}

struct Statement {
  sqlite3_stmt* st = nullptr;
  sqlite3* db;
  Statement(sqlite3* d, const char* sql) : db(d) {
    check(sqlite3_prepare_v2(d, sql, -1, &st, nullptr), d, sql);
  }
  ~Statement() { sqlite3_finalize(st); }
  Statement& text(int i, const std::string& v) {
    sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& integer(int i, long long v) {
    sqlite3_bind_int64(st, i, v);
    return *this;
  }
  bool step() {
    const int rc = sqlite3_step(st);
    check(rc, db, "step");
    return rc == SQLITE_ROW;
  }
  void done() { sqlite3_reset(st); }
};

struct Approval {  // the rows one approval wrote, read back from the server's database
  long long request = 0;
  std::string status, approvals, at, actor, ref, before, after, data;
  std::vector<std::vector<std::string>> outbox;  // channel, target, event, ref, subject, body
};

std::vector<Approval> approvals_written(const std::string& file, long long first_event,
                                        long long first_outbox) {
  sqlite3* db = open_db(file);
  std::vector<Approval> out;
  {
    Statement ev(db,
                 "SELECT entity_id, at, actor, ref, before, after, data FROM audit_events "
                 "WHERE id >= ? AND action = 'decide' ORDER BY id");
    ev.integer(1, first_event);
    while (ev.step()) {
      Approval a;
      auto col = [&](int i) {
        return std::string(reinterpret_cast<const char*>(sqlite3_column_text(ev.st, i)));
      };
      a.request = std::stoll(col(0));
      a.at = col(1);
      a.actor = col(2);
      a.ref = col(3);
      a.before = col(4);
      a.after = col(5);
      a.data = col(6);
      const json after = json::parse(a.after);
      a.status = after.at("status").get<std::string>();
      a.approvals = after.at("approvals").dump();
      out.push_back(std::move(a));
    }
  }
  Statement ob(db, "SELECT ref, channel, target, event, subject, body FROM outbox WHERE id >= ? ORDER BY id");
  ob.integer(1, first_outbox);
  std::vector<std::vector<std::string>> rows;
  while (ob.step()) {
    std::vector<std::string> row;
    for (int i = 0; i < 6; ++i)
      row.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(ob.st, i)));
    rows.push_back(std::move(row));
  }
  // Each approval's messages, by its request's reference.
  for (auto& a : out)
    for (const auto& r : rows)
      if (r[0] == a.ref) a.outbox.push_back({r[1], r[2], r[3], r[0], r[4], r[5]});
  sqlite3_close(db);
  return out;
}

long long max_id(const std::string& file, const char* table) {
  sqlite3* db = open_db(file);
  Statement st(db, (std::string("SELECT COALESCE(MAX(id), 0) FROM ") + table).c_str());
  long long v = st.step() ? sqlite3_column_int64(st.st, 0) : 0;
  st.done();
  sqlite3_close(db);
  return v;
}

void backup(const std::string& from, const std::string& to) {
  sqlite3* src = open_db(from);
  sqlite3* dst = nullptr;
  check(sqlite3_open(to.c_str(), &dst), dst, "open copy");
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) throw std::runtime_error("backup: " + std::string(sqlite3_errmsg(dst)));
  sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  sqlite3_close(dst);
  sqlite3_close(src);
}

double ceiling(const std::string& file, const std::vector<Approval>& work, int threads) {
  std::vector<sqlite3*> dbs;
  for (int t = 0; t < threads; ++t) dbs.push_back(open_db(file));
  const double seconds = in_parallel(static_cast<int>(work.size()), threads, [&](int t, int i) {
    sqlite3* db = dbs[t];
    const Approval& a = work[i];
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db, "begin");
    Statement up(db,
                 "UPDATE exceptions SET status = ?, approvals_json = ?, version = version + 1, updated_at = "
                 "? WHERE id = ?");
    up.text(1, a.status).text(2, a.approvals).text(3, a.at).integer(4, a.request).step();
    Statement head(db, "SELECT events, hash FROM audit_head WHERE id = 1");
    long long events = head.step() ? sqlite3_column_int64(head.st, 0) : 0;
    const std::string prev = reinterpret_cast<const char*>(sqlite3_column_text(head.st, 1));
    head.done();
    const std::string id = std::to_string(a.request);
    Statement ev(
        db,
        "INSERT INTO audit_events (id, at, actor, action, entity_type, entity_id, ref, before, after, data, "
        "prev_hash, hash) VALUES (?, ?, ?, 'decide', 'exception', ?, ?, ?, ?, ?, ?, ?)");
    ev.integer(1, events + 1).text(2, a.at).text(3, a.actor).text(4, id).text(5, a.ref).text(6, a.before);
    ev.text(7, a.after).text(8, a.data).text(9, prev).text(10, prev).step();
    Statement nh(db, "UPDATE audit_head SET events = ?, hash = ? WHERE id = 1");
    nh.integer(1, events + 1).text(2, prev).step();
    for (const auto& m : a.outbox) {
      Statement ob(
          db,
          "INSERT INTO outbox (created_at, channel, target, event, ref, subject, body, next_attempt_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      ob.text(1, a.at).text(2, m[0]).text(3, m[1]).text(4, m[2]).text(5, m[3]).text(6, m[4]).text(7, m[5]);
      ob.text(8, a.at).step();
    }
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  });
  for (auto* db : dbs) sqlite3_close(db);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 7) {
    std::cerr << "usage: waiver-approve-bench URL DB_FILE REQUESTER_TOKEN HEAD_TOKEN COUNT THREADS\n";
    return 2;
  }
  const std::string url = argv[1], file = argv[2], requester = argv[3], head = argv[4];
  const int count = std::stoi(argv[5]), threads = std::stoi(argv[6]);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  const auto day = [](int offset) {
    const auto t = std::chrono::system_clock::now() + std::chrono::hours(24 * offset);
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&tt));
    return std::string(buf);
  };
  const json request = {{"title", "Bench approval"},
                        {"policy_id", "policy-0"},
                        {"requirement", "A requirement"},
                        {"type", "access"},
                        {"data_classification", "GREEN"},
                        {"description", "Measured"},
                        {"justification", "The benchmark"},
                        {"resources", "none"},
                        {"scope", "one laptop"},
                        {"likelihood", 2},
                        {"impact", 2},
                        {"compensating_controls", {{{"description", "EDR"}}}},
                        {"start_on", day(1)},
                        {"end_on", day(60)}};
  std::vector<long long> ids(count);
  std::vector<std::unique_ptr<Http>> as_requester, as_head;
  for (int t = 0; t < threads; ++t) {
    as_requester.push_back(std::make_unique<Http>(url, requester));
    as_head.push_back(std::make_unique<Http>(url, head));
  }
  std::atomic<int> failures{0};
  in_parallel(count, threads, [&](int t, int i) {
    std::string body;
    if (as_requester[t]->post("/api/v1/exceptions", request.dump(), body) != 201) {
      ++failures;
      return;
    }
    ids[i] = json::parse(body).at("id").get<long long>();
    if (as_requester[t]->post("/api/v1/exceptions/" + std::to_string(ids[i]) + "/submit", "{}", body) != 200)
      ++failures;
  });
  if (failures > 0)
    throw std::runtime_error(std::to_string(failures.load()) + " requests could not be set up");

  const long long first_event = max_id(file, "audit_events") + 1, first_outbox = max_id(file, "outbox") + 1;
  const std::string approve = json{{"decision", "approve"}}.dump();
  const double seconds = in_parallel(count, threads, [&](int t, int i) {
    std::string body;
    if (as_head[t]->post("/api/v1/exceptions/" + std::to_string(ids[i]) + "/approvals/department", approve,
                         body) != 200)
      ++failures;
  });
  if (failures > 0) throw std::runtime_error(std::to_string(failures.load()) + " approvals failed");

  const std::string copy = file + ".ceiling";
  std::remove(copy.c_str());
  backup(file, copy);
  const auto work = approvals_written(copy, first_event, first_outbox);
  if (static_cast<int>(work.size()) != count)
    throw std::runtime_error("found " + std::to_string(work.size()) + " approval events, expected " +
                             std::to_string(count));
  const double raw = ceiling(copy, work, threads);
  std::remove(copy.c_str());
  std::remove((copy + "-wal").c_str());
  std::remove((copy + "-shm").c_str());
  std::printf("%.0f %.0f\n", count / seconds, count / raw);
  curl_global_cleanup();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "waiver-approve-bench: " << e.what() << "\n";
  return 1;
}
