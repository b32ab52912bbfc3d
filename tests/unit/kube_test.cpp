#include "kube/kube.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

using namespace tug;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    kube::parse(yaml, "f.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("kube parse: a pod, its containers, volumes and probes") {
  auto f = kube::parse(R"(
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  restartPolicy: Never
  containers:
  - name: srv
    image: busybox
    command: [sh, -c]
    args: ["httpd -f"]
    env:
    - {name: A, value: "1"}
    - name: B
      valueFrom: {configMapKeyRef: {name: cm, key: b}}
    ports:
    - {containerPort: 80, hostPort: 8080}
    volumeMounts:
    - {name: data, mountPath: /data, readOnly: true}
    securityContext:
      capabilities: {add: [NET_ADMIN], drop: [CAP_CHOWN]}
      runAsUser: 1000
    resources: {limits: {memory: 64Mi, cpu: 500m}}
    livenessProbe:
      httpGet: {path: /i, port: 80}
      periodSeconds: 5
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: vol}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {b: two}
---
)",
                       "f.yaml");
  REQUIRE(f.objects.size() == 2);
  const auto& pod = f.objects[0];
  CHECK(pod.kind == "Pod");
  CHECK(pod.name == "web");
  CHECK(pod.pod.restart_policy == "Never");
  REQUIRE(pod.pod.containers.size() == 1);
  const auto& c = pod.pod.containers[0];
  CHECK(*c.command == std::vector<std::string>{"sh", "-c"});
  CHECK(c.env.size() == 2);
  CHECK(c.env[1].config_map->key == "b");
  CHECK(c.ports[0].host_port == 8080);
  CHECK(c.volume_mounts[0].read_only);
  CHECK(c.cap_add == std::vector<std::string>{"NET_ADMIN"});
  CHECK(*c.run_as_user == 1000);
  CHECK(c.liveness->http_port == 80);
  CHECK(c.liveness->period == 5);
  CHECK(pod.pod.volumes[0].kind == kube::Volume::Kind::pvc);
  CHECK(f.objects[1].data.at("b") == "two");
  CHECK(f.warnings.empty());
}

TEST_CASE("kube parse: unknown fields are warned about by path, unknown kinds refused") {
  auto f = kube::parse(R"(
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
    lifecycle: {}
  nodeName: x
)",
                       "f.yaml");
  REQUIRE(f.warnings.size() == 2);
  CHECK(f.warnings[0].find("spec.containers[0].lifecycle") != std::string::npos);
  CHECK(f.warnings[1].find("spec.nodeName") != std::string::npos);
  CHECK(error_of("kind: Job\nmetadata: {name: j}\n").find("unsupported kind \"Job\"") !=
        std::string::npos);
  CHECK(error_of("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n")
            .find("document 1: spec.containers[0].image: missing") != std::string::npos);
  CHECK(error_of("kind: Pod\n  bad: [\n").find("f.yaml:") == 0);
  CHECK(error_of("kind: Secret\nmetadata: {name: s}\ndata: {k: \"!!\"}\n").find("data.k") !=
        std::string::npos);
}

TEST_CASE("kube quantities") {
  CHECK(kube::memory_bytes("64Mi") == 64 * 1024 * 1024);
  CHECK(kube::memory_bytes("1G") == 1000000000);
  CHECK(kube::memory_bytes("1000") == 1000);
  CHECK(kube::cpu_count("500m") == doctest::Approx(0.5));
  CHECK(kube::cpu_count("2") == doctest::Approx(2));
  CHECK_THROWS_AS(kube::memory_bytes("lots"), Error);
  CHECK_THROWS_AS(kube::cpu_count("-1"), Error);
}
