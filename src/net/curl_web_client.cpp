#include "net/curl_web_client.hpp"

#include "net/curl_handles.hpp"

#include <memory>
#include <mutex>

namespace waiver::net {
namespace {

constexpr long kConnectSeconds = 5;
constexpr long kTotalSeconds = 10;
constexpr std::size_t kMaxBody = std::size_t{1024} * 1024;

struct Sink {
  std::string body;
  bool too_large = false;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > kMaxBody) {
    sink->too_large = true;
    return 0;  // stops the transfer
  }
  sink->body.append(data, n);
  return n;
}

}  // namespace

CurlWebClient::CurlWebClient() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

app::WebResponse CurlWebClient::send(const app::WebRequest& request) {
  app::WebResponse out;
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) {
    out.error = "libcurl cannot start";
    return out;
  }
  std::unique_ptr<curl_slist, ListDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = name;
    line.append(": ").append(value);
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (!grown) {
      out.error = "out of memory";
      return out;
    }
    (void)headers.release();  // `grown` is the same list, longer
    headers.reset(grown);
  }
  Sink sink;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, kConnectSeconds);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, kTotalSeconds);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "waiver");
  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    out.error = "unsupported method " + request.method;
    return out;
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    out.error =
        sink.too_large ? "the answer is larger than 1 MiB" : (*error ? error : curl_easy_strerror(rc));
    return out;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  out.body = std::move(sink.body);
  return out;
}

}  // namespace waiver::net
