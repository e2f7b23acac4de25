// HTTP requests and responses as plain values, so handlers never see the server library.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace waiver::http {

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> params;  // from the route pattern
  std::multimap<std::string, std::string> query;
  bool malformed_query = false;                // the query string could not be decoded
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remote_address;  // the peer's IP address
  std::string route;           // set by dispatch: the matched route's OpenAPI path
  std::string request_id;      // X-Request-Id: the client's when sane, else a new one

  std::optional<std::string> header(const std::string& lower_name) const;
  std::optional<std::string> query_value(const std::string& name) const;
  // The value of a cookie sent by the client, if any.
  std::optional<std::string> cookie(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace waiver::http
