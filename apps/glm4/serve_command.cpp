// `glm4 serve MODEL`: the OpenAI-compatible HTTP server. Everything a request
// means is decided in glm4::server::service (include/glm4/server/); this file
// only maps routes, statuses and server-sent events onto cpp-httplib.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>
#include <pthread.h>
#include <sys/socket.h>

#include <glm4/server/service.hpp>

#include "commands.hpp"
#include "draft_flags.hpp"
#include "model_loading.hpp"

namespace glm4::app {

namespace {

using json = nlohmann::ordered_json;

struct serve_options {
  model_options model;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::size_t parallel = 1;
  std::size_t queue = 8;
  std::string api_key;
  std::string alias;
  std::int64_t n_predict = -1;
  draft_options drafts;
};

// A request's own bytes come back in some messages (a JSON parse error quotes
// what it read), and they need not be UTF-8: such bytes are written as U+FFFD
// rather than failing the response.
std::string to_text(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(to_text(body), "application/json");
}

void send_error(httplib::Response& res, const server::api_error& e) { send_json(res, e.status(), server::error_body(e)); }

// What a status that cpp-httplib sets itself, before any route sees the
// request, means for that request.
std::string refusal_message(int status) {
  switch (status) {
    case 400:
      return "malformed HTTP request: the request line or a header cannot be parsed (a header line holds at most " +
             std::to_string(CPPHTTPLIB_HEADER_MAX_LENGTH) + " bytes), or the body is shorter than its Content-Length";
    case 414:
      return "the request line is longer than " + std::to_string(CPPHTTPLIB_REQUEST_URI_MAX_LENGTH) + " bytes";
    default:
      return "HTTP " + std::to_string(status);
  }
}

// The body as JSON, or a 400 naming the parse error.
json parse_body(const httplib::Request& req) {
  try {
    return json::parse(req.body);
  } catch (const json::parse_error& e) {
    throw server::bad_request(std::string("the request body is not valid JSON: ") + e.what(), {}, "invalid_json");
  }
}

// POST handler for one endpoint: a prepared job is run at once, or streamed
// as server-sent events "data: {chunk}\n\n" ... "data: [DONE]\n\n".
httplib::Server::Handler generation_route(server::service& service, bool chat) {
  return [&service, chat](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<server::job> job;
    try {
      const json body = parse_body(req);
      job = chat ? service.prepare_chat(body) : service.prepare_completion(body);
      if (!job->stream) {
        send_json(res, 200, service.run(*job));
        return;
      }
    } catch (const server::api_error& e) {
      return send_error(res, e);
    } catch (const glm4::invalid_argument& e) {
      return send_error(res, server::bad_request(e.what()));
    } catch (const glm4::text_error& e) {
      return send_error(res, server::bad_request(e.what()));
    } catch (const std::exception& e) {
      return send_json(res, 500, server::error_body(e.what(), "server_error"));
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [&service, job](std::size_t, httplib::DataSink& sink) {
          const auto send = [&](const std::string& event) { return sink.write(event.data(), event.size()); };
          server::chunk_sink out{[&](const json& chunk) { return send("data: " + to_text(chunk) + "\n\n"); },
                                 [&] { return sink.is_writable(); }};
          try {
            service.run(*job, out);
            send("data: [DONE]\n\n");
          } catch (const std::exception& e) {
            // Headers are gone: the error travels as one more event.
            send("data: " + to_text(server::error_body(e.what(), "server_error")) + "\n\n");
          }
          sink.done();
          return true;
        },
        // Runs whether or not the provider did: a client gone before the
        // first byte must not keep the slot.
        [job](bool) mutable { job->slot.release(); });
  };
}

int serve(const serve_options& o) {
  // Blocked in every thread the server starts; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error return, not a kill

  const loaded_model loaded = load_model(o.model);
  server::service_options so;
  so.model_id = o.alias.empty() ? std::filesystem::path(o.model.path).lexically_normal().filename().string() : o.alias;
  if (so.model_id.empty()) so.model_id = std::filesystem::path(o.model.path).parent_path().filename().string();
  so.slots = o.parallel;
  so.queue = o.queue;
  so.max_tokens = o.n_predict;
  so.drafts = o.drafts;
  server::service service(loaded.tokenizer, loaded.chat_format, [&] { return loaded.new_session(o.model); }, so);

  httplib::Server http;
  // Enough workers for every slot, every queued request, and a few quick
  // requests (health, models, refusals) besides.
  const std::size_t workers = o.parallel + o.queue + 4;
  http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };

  if (!o.api_key.empty()) {
    http.set_pre_routing_handler([&o](const httplib::Request& req, httplib::Response& res) {
      if (req.path == "/health" || req.get_header_value("Authorization") == "Bearer " + o.api_key)
        return httplib::Server::HandlerResponse::Unhandled;
      send_json(res, 401, server::error_body("invalid or missing API key (Authorization: Bearer ...)",
                                             "authentication_error", {}, "invalid_api_key"));
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  http.Get("/health", [&](const httplib::Request&, httplib::Response& res) { send_json(res, 200, service.health()); });
  for (const char* path : {"/v1/models", "/models"})
    http.Get(path, [&](const httplib::Request&, httplib::Response& res) { send_json(res, 200, service.models()); });
  for (const char* path : {"/v1/chat/completions", "/chat/completions"}) http.Post(path, generation_route(service, true));
  for (const char* path : {"/v1/completions", "/completions"}) http.Post(path, generation_route(service, false));
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      send_json(res, 404, server::error_body("no route " + req.method + " " + req.path, "not_found_error"));
    else
      send_json(res, res.status, server::error_body(refusal_message(res.status), "invalid_request_error"));
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_json(res, 500, server::error_body(what, "server_error"));
  });

  // The listening socket, so that a signal can close it without
  // httplib::Server::stop(): stop() also tells the workers the server is
  // shutting down, and a streamed reply whose request was still waiting for a
  // slot then gets its headers and nothing more.
  std::atomic<socket_t> listener{-1};
  http.set_socket_options([&listener](socket_t s) {
    httplib::default_socket_options(s);
    listener = s;
  });

  int port = o.port;
  if (port == 0 ? (port = http.bind_to_any_port(o.host)) < 0 : !http.bind_to_port(o.host, port)) {
    std::cerr << "glm4: cannot listen on " << o.host << ":" << o.port << '\n';
    return exit_failure;
  }

  std::atomic<bool> done{false}, stopping{false};
  std::thread signal_waiter([&] {
    const timespec tick{0, 200'000'000};
    while (!done) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGINT || sig == SIGTERM) {
        std::cerr << "glm4: stopping: finishing the requests in flight\n";
        stopping = true;
        // accept() fails, which ends the accept loop; listen_after_bind
        // returns (false) once the workers have finished their requests.
        // Should the system refuse to shut a listening socket down, stop()
        // still ends the server, queued streams cut off.
        if (::shutdown(listener, SHUT_RDWR) != 0) http.stop();
        return;
      }
    }
  });
  std::cerr << "glm4: " << so.slots << " slot(s) of " << o.model.context << " tokens, queue " << so.queue << '\n'
            << "listening on http://" << o.host << ":" << port << std::endl;
  const bool ok = http.listen_after_bind();
  done = true;
  signal_waiter.join();
  return ok || stopping ? exit_ok : exit_failure;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<serve_options>();
  CLI::App* cmd = app.add_subcommand("serve", "an OpenAI-compatible HTTP server (chat, completions, models, health)");
  add_model_options(*cmd, o->model);
  cmd->add_option("--host", o->host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", o->port, "port to listen on; 0: any free port (printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  // -np (llama-server's spelling) is rewritten to --parallel by main.cpp: CLI11
  // takes one letter after a single dash.
  cmd->add_option("--parallel", o->parallel, "slots: requests generating at once (decoded together, one pass per step), each with its own KV cache")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--queue", o->queue, "requests waiting for a slot; more get 503")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--api-key", o->api_key, "require 'Authorization: Bearer KEY' (all routes but /health)");
  cmd->add_option("--alias", o->alias, "model id the API reports; default: the model's file or folder name");
  cmd->add_option("-n,--n-predict", o->n_predict, "cap on tokens per reply when a request sets no max_tokens; -1: the context")
      ->capture_default_str();
  add_draft_options(*cmd, o->drafts);
  cmd->callback([o, &exit_code] {
    check_draft_options(o->drafts);
    try {
      exit_code = serve(*o);
    } catch (const std::exception& e) {
      exit_code = report_error(e);
    }
  });
}

}  // namespace glm4::app
