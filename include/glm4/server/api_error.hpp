// The errors the server answers a request with, as OpenAI's API spells them:
// an HTTP status and the body {"error": {"message", "type", "param", "code"}}
// that the official clients turn into their own exception types (400 →
// BadRequestError, 401 → AuthenticationError, 503 → InternalServerError...).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "glm4/core/error.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::server {

class api_error : public invalid_argument {
 public:
  // `param` names the request field at fault ("messages[1].role"), empty when
  // the fault is not one field's.
  api_error(int status, std::string type, const std::string& message, std::string param = {},
            std::string code = {})
      : invalid_argument(message), status_(status), type_(std::move(type)), param_(std::move(param)),
        code_(std::move(code)) {}

  int status() const { return status_; }
  const std::string& type() const { return type_; }
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string type_, param_, code_;
};

// 400: the request cannot be run as written.
inline api_error bad_request(const std::string& message, std::string param = {}, std::string code = {}) {
  return {400, "invalid_request_error", message, std::move(param), std::move(code)};
}

// 503: every slot is busy and the wait queue is full; the client may retry.
inline api_error server_busy(const std::string& message) {
  return {503, "unavailable_error", message, {}, "server_busy"};
}

inline nlohmann::ordered_json error_body(const std::string& message, const std::string& type,
                                         const std::string& param = {}, const std::string& code = {}) {
  using json = nlohmann::ordered_json;
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

inline nlohmann::ordered_json error_body(const api_error& e) {
  return error_body(e.what(), e.type(), e.param(), e.code());
}

}  // namespace glm4::inline GLM4_TARGET::server
