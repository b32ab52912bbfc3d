#pragma once
// The endpoints, one group per file (system.cpp, containers.cpp,
// images.cpp, volumes.cpp). Each only translates: query and path in, a
// call into container/, image/, volume/, network/ or config/hostinfo, the
// result encoded in docker's v1.41 shape.
#include <string>

#include "api/router.hpp"

namespace tug::api {

Response ping(Context& ctx, const Target& t, bool head);
Response version(Context& ctx, const Target& t);
Response info(Context& ctx, const Target& t);

Response container_list(Context& ctx, const Target& t);
Response container_inspect(Context& ctx, const Target& t, const std::string& id);
// The lifecycle: the operations of container/lifecycle.hpp the CLI's
// start, stop, kill, wait and rm call.
Response container_start(Context& ctx, const Target& t, const std::string& id);
Response container_stop(Context& ctx, const Target& t, const std::string& id);
Response container_kill(Context& ctx, const Target& t, const std::string& id);
Response container_wait(Context& ctx, const Target& t, const std::string& id);
Response container_delete(Context& ctx, const Target& t, const std::string& id);
// create.cpp: docker's create body into container::CreateOptions.
Response container_create(Context& ctx, const Target& t, const std::string& body);
// logs.cpp, attach.cpp: streams (Response::stream).
Response container_logs(Context& ctx, const Target& t, const std::string& id);
Response container_attach(Context& ctx, const Target& t, const std::string& id, bool upgrade);
Response container_resize(Context& ctx, const Target& t, const std::string& id);
// exec.cpp: exec instances and their hijacked start.
Response exec_create(Context& ctx, const Target& t, const std::string& id, const std::string& body);
Response exec_start(Context& ctx, const Target& t, const std::string& id, const std::string& body,
                    bool upgrade);
Response exec_inspect(Context& ctx, const Target& t, const std::string& id);
Response exec_resize(Context& ctx, const Target& t, const std::string& id);

Response image_list(Context& ctx, const Target& t);
Response image_inspect(Context& ctx, const Target& t, const std::string& name);

Response volume_list(Context& ctx, const Target& t);
Response volume_inspect(Context& ctx, const Target& t, const std::string& name);
Response network_list(Context& ctx, const Target& t);
Response network_inspect(Context& ctx, const Target& t, const std::string& id);

// "docker.io/library/busybox:latest" -> "busybox:latest", as docker names
// images in its answers.
std::string familiar_name(const std::string& name);

}  // namespace tug::api
