// The port for calling other web services (the single sign-on provider): a request goes out, an
// answer or a transport error comes back. The libcurl adapter is src/net/curl_web_client.cpp;
// tests use a fake.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace waiver::app {

struct WebRequest {
  std::string method = "GET";  // GET | POST
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct WebResponse {
  int status = 0;  // 0: no answer; `error` says why
  std::string body;
  std::string error;  // the transport error, when status is 0
};

class WebClient {
 public:
  virtual ~WebClient() = default;
  // Never throws; redirects are not followed.
  virtual WebResponse send(const WebRequest& request) = 0;
};

}  // namespace waiver::app
